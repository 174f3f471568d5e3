// Every check, in one list. Adding a check = writing a (ctx) => Finding[] and listing it here.

import type { MeshCheck, NamespaceCheck } from "./check.js";
import { authorizationPolicies } from "./checks/authorization-policies.js";
import { destinationRules } from "./checks/destination-rules.js";
import { gitopsManaged } from "./checks/gitops.js";
import { invalidClusterObjects, invalidObjects } from "./checks/invalid-objects.js";
import { l7Extensions } from "./checks/l7-extensions.js";
import { multicluster } from "./checks/multicluster.js";
import { namespaceState } from "./checks/namespace.js";
import { meshPeerAuthentication, peerAuthentications } from "./checks/peer-authentication.js";
import { sidecarOnlyConfig } from "./checks/sidecar-only-config.js";
import { spireWorkloads } from "./checks/spire.js";
import { trafficSafetyChecks } from "./checks/traffic-safety.js";
import { virtualServices } from "./checks/virtual-services.js";
import { vmWorkloads } from "./checks/vm-workloads.js";
import { workloadChecks } from "./checks/workloads.js";

export const MESH_CHECKS: readonly MeshCheck[] = [
  invalidClusterObjects,
  multicluster,
  meshPeerAuthentication,
];

export const NAMESPACE_CHECKS: readonly NamespaceCheck[] = [
  invalidObjects,
  namespaceState,
  vmWorkloads,
  spireWorkloads,
  peerAuthentications,
  authorizationPolicies,
  l7Extensions,
  sidecarOnlyConfig,
  virtualServices,
  destinationRules,
  workloadChecks,
  ...trafficSafetyChecks,
  gitopsManaged,
];
