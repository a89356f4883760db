import Benchmark

// Filled in by the DMARC work.
let benchmarks: @Sendable () -> Void = {}
