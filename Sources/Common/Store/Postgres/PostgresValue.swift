internal import CPostgres

/// One statement parameter; `nil` in a parameter list is SQL NULL.
///
/// Integers, byte strings and booleans go in PostgreSQL's binary form with their type fixed (`int8`, `bytea`,
/// `bool`), so bytes need no escaping and round-trip exactly. Text goes in text form with its type left to the
/// statement, so `$1` may stand for any type PostgreSQL can read from text; PostgreSQL text cannot hold a NUL
/// byte, so a string that may contain one goes as `.bytes`.
package enum PostgresValue: Hashable, Sendable {
    case text(String)
    case integer(Int64)
    case bytes([UInt8])
    case boolean(Bool)
}

/// A statement's parameters in libpq's parallel-array form, every value's bytes in one buffer.
struct PostgresParameters {
    private var types: [Oid] = []
    private var formats: [Int32] = []
    private var lengths: [Int32] = []
    /// Where each value starts in `storage`; `nil` for NULL.
    private var offsets: [Int?] = []
    private var storage: [UInt8] = []

    /// Built-in type OIDs (`pg_type.h`), which are fixed across PostgreSQL versions.
    private static let byteaOID: Oid = 17
    private static let int8OID: Oid = 20
    private static let boolOID: Oid = 16
    /// Lets the server infer the type from the statement.
    private static let unspecifiedOID: Oid = 0

    init(_ values: [PostgresValue?]) throws(StoreError) {
        for value in values {
            let start = storage.count
            let type: Oid
            var binary = true
            switch value {
            case nil:
                type = Self.unspecifiedOID
            case .text(let text):
                // Text-form values are C strings to libpq, which would cut at a NUL without a word.
                guard !text.utf8.contains(0) else {
                    throw StoreError(.engine, "a text parameter contains a NUL byte; PostgreSQL text cannot hold one")
                }
                type = Self.unspecifiedOID
                binary = false
                storage.append(contentsOf: text.utf8)
                storage.append(0)
            case .integer(let integer):
                type = Self.int8OID
                withUnsafeBytes(of: integer.bigEndian) { storage.append(contentsOf: $0) }
            case .bytes(let bytes):
                type = Self.byteaOID
                storage.append(contentsOf: bytes)
            case .boolean(let boolean):
                type = Self.boolOID
                storage.append(boolean ? 1 : 0)
            }
            guard let length = Int32(exactly: storage.count - start) else {
                throw StoreError(.engine, "a parameter of \(storage.count - start) bytes is too large for PostgreSQL")
            }
            types.append(type)
            formats.append(binary ? 1 : 0)
            lengths.append(length)
            offsets.append(value == nil ? nil : start)
        }
    }

    var count: Int32 { Int32(types.count) }

    /// Calls `body` with the arrays `PQexecParams` takes, valid only during the call.
    func withArrays<Result>(
        _ body: (
            _ types: UnsafePointer<Oid>?, _ values: UnsafePointer<UnsafePointer<CChar>?>?,
            _ lengths: UnsafePointer<Int32>?, _ formats: UnsafePointer<Int32>?
        ) -> Result
    ) -> Result {
        storage.withUnsafeBufferPointer { buffer in
            // An empty array may have no base address; libpq only needs a non-null pointer for a non-NULL value.
            let base = UnsafeRawPointer(buffer.baseAddress) ?? UnsafeRawPointer(bitPattern: 1)!
            let values = offsets.map { offset in
                offset.map { (base + $0).assumingMemoryBound(to: CChar.self) }
            }
            return body(types, values, lengths, formats)
        }
    }
}
