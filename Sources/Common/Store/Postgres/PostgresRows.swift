internal import CPostgres

/// The rows a statement returned, read in place from libpq's result, which is freed with the last copy.
///
/// Values come in PostgreSQL's binary form: read `text`/`varchar` and `bytea` columns with ``PostgresRow/text(_:)``
/// or ``PostgresRow/bytes(_:)``, `int2`/`int4`/`int8` with ``PostgresRow/integer(_:)`` and `bool` with
/// ``PostgresRow/boolean(_:)``; check ``PostgresRow/isNull(_:)`` first where a column may be NULL.
package struct PostgresRows: RandomAccessCollection {
    private let result: PostgresResult

    init(_ result: PostgresResult) {
        self.result = result
    }

    package var startIndex: Int { 0 }
    package var endIndex: Int { Int(PQntuples(result.handle)) }

    package subscript(row: Int) -> PostgresRow {
        precondition(indices.contains(row), "row \(row) is out of range 0..<\(count)")
        return PostgresRow(result: result, row: Int32(row))
    }

    /// Rows an INSERT, UPDATE or DELETE changed (or a SELECT returned); 0 for other statements.
    package var affectedRows: Int {
        Int(String(cString: PQcmdTuples(result.handle))) ?? 0
    }

    /// The command tag, such as `COMMIT` or `ROLLBACK` after a COMMIT.
    var commandStatus: String {
        PQcmdStatus(result.handle).map { String(cString: $0) } ?? ""
    }
}

/// One row of ``PostgresRows``; `column` is 0-based. Reading a NULL or a column of another type is a bug in the
/// query and traps.
package struct PostgresRow {
    private let result: PostgresResult
    private let row: Int32

    fileprivate init(result: PostgresResult, row: Int32) {
        self.result = result
        self.row = row
    }

    package func isNull(_ column: Int) -> Bool {
        PQgetisnull(result.handle, row, Int32(column)) == 1
    }

    package func bytes(_ column: Int) -> [UInt8] {
        withValue(column) { Array($0) }
    }

    /// The value's bytes as UTF-8 (PostgreSQL text is valid UTF-8 in a UTF8 database; bytea is decoded with
    /// replacement, as any Swift string is).
    package func text(_ column: Int) -> String {
        withValue(column) { String(decoding: $0, as: UTF8.self) }
    }

    package func integer(_ column: Int) -> Int64 {
        withValue(column) { value in
            precondition([2, 4, 8].contains(value.count), "column \(column) is not an integer (\(value.count) bytes)")
            // Big-endian two's complement; sign-extend from the first byte.
            var integer = Int64(Int8(bitPattern: value[0]))
            for byte in value.dropFirst() { integer = integer << 8 | Int64(byte) }
            return integer
        }
    }

    package func boolean(_ column: Int) -> Bool {
        withValue(column) { value in
            precondition(value.count == 1, "column \(column) is not a boolean (\(value.count) bytes)")
            return value[0] != 0
        }
    }

    private func withValue<Result>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        precondition(!isNull(column), "column \(column) is NULL")
        let length = Int(PQgetlength(result.handle, row, Int32(column)))
        let start = UnsafeRawPointer(PQgetvalue(result.handle, row, Int32(column)))?.assumingMemoryBound(to: UInt8.self)
        return body(UnsafeBufferPointer(start: start, count: start == nil ? 0 : length))
    }
}

/// Owns one `PGresult`.
final class PostgresResult {
    let handle: OpaquePointer

    init(owning handle: OpaquePointer) {
        self.handle = handle
    }

    deinit { PQclear(handle) }
}
