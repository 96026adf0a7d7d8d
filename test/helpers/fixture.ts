// The PyTorch-made fixture with devinterp's answers, shipped in the repository
// (test/fixtures/README.md says what each file is), or $LLC_FIXTURE.
import { fileURLToPath } from 'node:url';

export const FIXTURE = process.env.LLC_FIXTURE ?? fileURLToPath(new URL('../fixtures/seed-step5500', import.meta.url));
