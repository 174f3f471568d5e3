// The two shapes of a check. Namespace checks run once per selected namespace and read only
// that namespace's objects; mesh checks run once and read control-plane objects.

import type { MeshContext, NamespaceContext } from "./context.js";
import type { Finding } from "./finding.js";

export type NamespaceCheck = (ctx: NamespaceContext) => Finding[];
export type MeshCheck = (ctx: MeshContext) => Finding[];
