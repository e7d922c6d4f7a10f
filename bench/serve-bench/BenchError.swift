/// Why a benchmark run stopped: one line naming the broker step that failed.
struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
