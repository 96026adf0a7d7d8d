// The PyTorch-made fixture with devinterp's answers: ../shared/fixtures beside the checkout
// (as on developer machines and in CI), or $LLC_FIXTURE.
import { fileURLToPath } from 'node:url';

export const FIXTURE = process.env.LLC_FIXTURE ?? fileURLToPath(new URL('../../../shared/fixtures/seed-step5500', import.meta.url));
