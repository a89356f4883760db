import Benchmark

// Filled in by the SPF work.
let benchmarks: @Sendable () -> Void = {}
