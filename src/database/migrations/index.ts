import { CreateUsers1764100000000 } from './1764100000000-CreateUsers';

/** In order. Listed explicitly so ts-node (CLI) and the compiled app load the same set. */
export const migrations = [CreateUsers1764100000000];
