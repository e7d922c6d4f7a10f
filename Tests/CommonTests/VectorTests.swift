import Glibc
import Testing
@testable import ConclaveWire

/// The published vectors (PROTOCOL.md §11), or the file named by `CONCLAVE_VECTORS`.
@Suite struct VectorTests {
    @Test(arguments: try FrameVector.loadAll())
    func vector(_ vector: FrameVector) throws {
        let expected = try #require(bytes(hex: vector.hex), "hex is not hex")
        let fromJSON = try AnnotatedFrame(json: vector.frame).frame

        #expect(hex(fromJSON.encoded()) == hex(expected), "encode(frame) == hex")

        let decoded = try ProtocolMessage(decoding: expected)
        #expect(decoded == fromJSON, "decode(hex) == frame")
        #expect(JSONValue.object(decoded.jsonObject()) == vector.frame, "JSON of decode(hex) == frame")

        let reparsed = try ProtocolMessage(jsonLine: decoded.jsonLine())
        #expect(reparsed == decoded, "the JSON line reads back")
    }

    @Test func vectorFileIsNotEmpty() throws {
        #expect(try !FrameVector.loadAll().isEmpty)
    }

    /// Without `CONCLAVE_VECTORS` the tests read the package's own copy, so a clone anywhere runs them.
    @Test func theBundledCopyIsInsideThePackage() throws {
        let path = FrameVector.bundledPath
        #expect(!path.contains("/../"), "\(path)")
        #expect(path.hasSuffix("/Tests/Vectors/frames.json"), "\(path)")
        #expect(try !FrameVector.loadAll(from: path).isEmpty)
    }

    /// Nothing in the package reaches outside it for the shared contract directory.
    @Test func noSourceOrTestReadsTheSharedDirectory() throws {
        let root = String(#filePath).split(separator: "/", omittingEmptySubsequences: false).dropLast(3)
            .joined(separator: "/")
        // Spelled in two parts so that this file does not match itself.
        let needle = "../" + "shared"
        let offenders = try (filesBelow(root + "/Sources") + filesBelow(root + "/Tests")).filter { file in
            String(decoding: try readFile(file), as: UTF8.self).contains(needle)
        }
        #expect(offenders.isEmpty)
    }
}

/// Every regular file below `directory`, recursively.
private func filesBelow(_ directory: String) throws -> [String] {
    guard let stream = opendir(directory) else { throw TestFailure("opendir \(directory): errno \(errno)") }
    defer { closedir(stream) }
    var files: [String] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        guard name != "." && name != ".." else { continue }
        let path = directory + "/" + name
        var status = stat()
        guard lstat(path, &status) == 0 else { continue }
        if status.st_mode & S_IFMT == S_IFDIR {
            files += try filesBelow(path)
        } else if status.st_mode & S_IFMT == S_IFREG {
            files.append(path)
        }
    }
    return files
}
