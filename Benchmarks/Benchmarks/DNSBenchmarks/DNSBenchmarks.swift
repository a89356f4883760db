import Benchmark

// Filled in by the DNS work.
let benchmarks: @Sendable () -> Void = {}
