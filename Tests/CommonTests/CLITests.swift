#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveCLI
@testable import ConclavePOSIX

/// A pipe whose read end collects what a writer under test produced.
private final class CapturePipe {
    let readEnd: Int32
    var writeEnd: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestFailure("pipe: errno \(errno)") }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(readEnd)
        closeWriteEnd()
    }

    func closeWriteEnd() {
        if writeEnd >= 0 { close(writeEnd) }
        writeEnd = -1
    }

    /// Everything written so far (closes the write end first).
    func contents() -> String {
        closeWriteEnd()
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while case let count = read(readEnd, &chunk, chunk.count), count > 0 { bytes += chunk[0..<count] }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private struct SampleError: ToolError {
    var exitStatus: ConclaveCLI.ExitStatus { .noInput }
    var description: String { "no key here" }
}

@Suite struct CLITests {
    @Test func diagnosticsArePrefixedSingleLines() throws {
        let pipe = try CapturePipe()
        let diagnostics = Diagnostics(toolName: "conclave-test", fileDescriptor: pipe.writeEnd)
        diagnostics.report("first\nsecond\r")
        diagnostics.detail("hidden at normal verbosity")
        #expect(pipe.contents() == "conclave-test: first\\x0asecond\\x0d\n")
    }

    /// A message quoting input (a bad line, a path) cannot drive the terminal: every C0 and C1 control, DEL and
    /// the Unicode line and paragraph separators are written as visible escapes; everything else is unchanged.
    @Test func controlCharactersInDiagnosticsAreEscaped() throws {
        let pipe = try CapturePipe()
        let diagnostics = Diagnostics(toolName: "t", fileDescriptor: pipe.writeEnd)
        diagnostics.report("\u{1B}[31mred\u{0}\t\u{7F}\u{85}\u{9B}2J\u{2028}\u{2029}")
        diagnostics.report("caf\u{E9} \u{A0}ok \\ \u{1F600} \u{9F}")
        #expect(pipe.contents() == #"""
            t: \x1b[31mred\x00\x09\x7f\x85\x9b2J\u{2028}\u{2029}
            t: caf\#u{E9} \#u{A0}ok \ \#u{1F600} \x9f

            """#)
    }

    @Test func quietSilencesAndVerboseAddsDetail() throws {
        let quietPipe = try CapturePipe()
        let quiet = Diagnostics(toolName: "t", verbosity: .quiet, fileDescriptor: quietPipe.writeEnd)
        quiet.report("error")
        quiet.detail("detail")
        #expect(quietPipe.contents() == "")
        let verbosePipe = try CapturePipe()
        let verbose = Diagnostics(toolName: "t", verbosity: .verbose, fileDescriptor: verbosePipe.writeEnd)
        verbose.report("error")
        verbose.detail("detail")
        #expect(verbosePipe.contents() == "t: error\nt: detail\n")
    }

    @Test func recordsEndWithTheirTerminator() throws {
        let pipe = try CapturePipe()
        let lines = RecordWriter(fileDescriptor: pipe.writeEnd)
        try lines.write("one")
        try lines.write("")
        let nul = RecordWriter(fileDescriptor: pipe.writeEnd, terminator: 0)
        try nul.write("two")
        #expect(pipe.contents() == "one\n\ntwo\u{0}")
    }

    @Test func aClosedReaderIsAQuietSuccess() throws {
        BrokenPipe.ignore()
        let pipe = try CapturePipe()
        close(pipe.readEnd)
        let error = #expect(throws: RecordWriterError.self) {
            try RecordWriter(fileDescriptor: pipe.writeEnd).write("lost")
        }
        #expect(error?.code == .outputClosed)
        #expect(error?.exitStatus == .success)
        let report = try CapturePipe()
        let status = ToolMain.status(
            reporting: try #require(error), to: Diagnostics(toolName: "t", fileDescriptor: report.writeEnd))
        #expect(status == .success)
        #expect(report.contents() == "")
    }

    @Test func errorsMapToTheirStatusAndOneLine() throws {
        let pipe = try CapturePipe()
        let diagnostics = Diagnostics(toolName: "t", fileDescriptor: pipe.writeEnd)
        #expect(ToolMain.status(reporting: SampleError(), to: diagnostics) == .noInput)
        #expect(ToolMain.status(reporting: TestFailure("plain"), to: diagnostics) == .failure)
        #expect(pipe.contents() == "t: no key here\nt: plain\n")
    }

    @Test func commonOptionsParse() throws {
        struct Command: CommonOptionsCommand { var common = CommonOptions() }
        let interface = CommandLineInterface<Command>(
            toolName: "t", abstract: "", usage: [], examples: [], options: CommonOptions.options(for: Command.self),
            validate: { command throws(CommandLineError) in try command.common.validate() })
        func parse(_ arguments: [String]) throws(CommandLineError) -> CommonOptions {
            guard case .run(let command) = try interface.parse(arguments, into: Command()) else {
                throw CommandLineError("not a run")
            }
            return command.common
        }
        let options = try parse(["--config-dir", "/tmp/c", "-v"])
        #expect(options.configDirectory == "/tmp/c")
        #expect(options.verbosity == .verbose)
        #expect(try options.configDirectory(environment: ["CONCLAVE_CONFIG_DIR": "/e"]).path == "/tmp/c")
        #expect(try parse([]).verbosity == .normal)
        #expect(try parse(["-q"]).verbosity == .quiet)
        #expect(throws: CommandLineError.self) { try parse(["-q", "-v"]) }
        #expect(throws: CommandLineError.self) { try parse(["--config-dir", ""]) }
    }

    /// Reads only: `setenv` here could race with other tests reading `environ` in the same process.
    @Test func environmentIsReadAsADictionary() throws {
        let path = try #require(getenv("PATH")).withMemoryRebound(to: CChar.self, capacity: 1) { String(cString: $0) }
        #expect(ProcessEnvironment.current()["PATH"] == path)
    }
}
