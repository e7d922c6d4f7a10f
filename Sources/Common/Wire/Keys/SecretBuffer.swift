internal import CSodium

/// Memory for secret bytes that this object owns and wipes with `sodium_memzero` when it is released, so a seed
/// does not linger in freed heap memory. Swift `Array` and `String` may copy their storage freely, so secrets
/// never live in them.
///
/// `@unchecked Sendable`: the bytes are written only while the owner builds it, before it is shared.
package final class SecretBuffer: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer

    package init(count: Int) {
        storage = .allocate(byteCount: count, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        sodium_memzero(storage.baseAddress, storage.count)
        storage.deallocate()
    }

    var count: Int { storage.count }

    package func withUnsafeBytes<Result, Failure>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(storage))
    }

    package func withUnsafeMutableBytes<Result, Failure>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(storage)
    }
}
