// PeerAuthentication: DISABLE (whole policy or one port) is a hard blocker, because ztunnel
// always speaks mTLS between meshed pods. STRICT still matters in ambient: ztunnel enforces it.

import { K } from "../../inventory/kinds.js";
import type { KubeObject } from "../../inventory/model.js";
import type { MeshCheck, NamespaceCheck } from "../check.js";
import type { MeshContext, NamespaceContext } from "../context.js";
import type { Finding } from "../finding.js";

function disabledParts(pa: KubeObject): string[] {
  const parts: string[] = [];
  if (pa.spec?.mtls?.mode === "DISABLE") parts.push("mtls.mode DISABLE");
  for (const [port, setting] of Object.entries(
    (pa.spec?.portLevelMtls ?? {}) as Record<string, { mode?: string }>,
  )) {
    if (setting?.mode === "DISABLE") parts.push(`portLevelMtls[${port}] DISABLE`);
  }
  return parts;
}

const meshWide = (pa: KubeObject, mesh: MeshContext) =>
  pa.metadata.namespace === mesh.rootNamespace && !pa.spec?.selector;

function disableFinding(mesh: MeshContext, pa: KubeObject, parts: string[], wide: boolean): Finding {
  return mesh.finding(
    "peer-authentication-disable",
    pa,
    `PeerAuthentication ${pa.metadata.name} sets ${parts.join(", ")}${wide ? " mesh-wide (root namespace, no selector)" : ""}; ztunnel cannot serve plaintext between meshed pods`,
    "move the plaintext traffic out of the mesh or switch to PERMISSIVE/STRICT before migrating",
    wide ? "mesh" : "namespace",
  );
}

export const peerAuthentications: NamespaceCheck = (ctx: NamespaceContext) =>
  ctx.list(K.PeerAuthentication).flatMap((pa) => {
    if (meshWide(pa, ctx.mesh)) return []; // reported once by meshPeerAuthentication
    const parts = disabledParts(pa);
    if (parts.length > 0) return [disableFinding(ctx.mesh, pa, parts, false)];
    if (pa.spec?.mtls?.mode === "STRICT")
      return [
        ctx.finding(
          "peer-authentication-strict",
          pa,
          `PeerAuthentication ${pa.metadata.name} is STRICT; ztunnel keeps enforcing it in ambient mode`,
          "keep it: deleting it would accept plaintext",
        ),
      ];
    return [];
  });

export const meshPeerAuthentication: MeshCheck = (mesh) =>
  mesh.inventory
    .inNamespace(K.PeerAuthentication, mesh.rootNamespace)
    .filter((pa) => meshWide(pa, mesh))
    .flatMap((pa) => {
      const parts = disabledParts(pa);
      return parts.length > 0 ? [disableFinding(mesh, pa, parts, true)] : [];
    });
