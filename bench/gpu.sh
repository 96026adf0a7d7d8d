#!/usr/bin/env bash
# The GPU checks in one go, for a lent CUDA 13 host without Node.js or network (README: GPUs).
# Expects, unpacked under $GPU (default /tmp/gpu): node (the binary), libonnxruntime_providers_cuda.so
# and libonnxruntime_providers_shared.so; and this repository with node_modules installed.
#   bash bench/gpu.sh   runs the CUDA tests (provider, sampler, training engine), then the
#                       speed figures on CUDA: training ms/step, SGLD chain-steps/s for 1, 8
#                       and 64 chains, and the whole pipeline's time per stage on the preset
#                       $WORKLOAD_PRESET (default smoke, so that it all fits one 10-minute call;
#                       WORKLOAD_PRESET= runs the default config)
set -euo pipefail
cd "$(dirname "$0")/.."
GPU=${GPU:-/tmp/gpu}
lib=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
cp "$GPU/libonnxruntime_providers_cuda.so" "$GPU/libonnxruntime_providers_shared.so" "$lib/"
# Where the CUDA 13 libraries live on the lent hosts (PyTorch's wheels and the toolkit).
export LD_LIBRARY_PATH="/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib:/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cudnn/lib:/usr/local/cuda-13.0/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}"
node=$GPU/node
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
"$node" --import tsx --test --test-concurrency=1 --test-name-pattern="CUDA|cuda" test/onnx-ort.test.ts test/sgld-sampler.test.ts test/slow/train-engines.test.ts
preset=${WORKLOAD_PRESET-smoke}
bench=(--device cuda --only train,sgld,workload)
if [ -n "$preset" ]; then bench+=(--workload-preset "$preset"); fi
"$node" --import tsx bench/main.ts "${bench[@]}"
