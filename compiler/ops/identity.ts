import type { OpDef } from './types.js';
import { unary } from './helpers.js';

/** The identity (the NAS-cell `skip_connect`, a placeholder layer); no FLOPs. */
export const identity: OpDef = unary('identity', 'layout', 'The identity.', 0);
