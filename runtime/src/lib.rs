//! otel-runtime: being written (see runtime/src/abi/ for the ABI).
