import Benchmark

// Filled in by the DKIM work.
let benchmarks: @Sendable () -> Void = {}
