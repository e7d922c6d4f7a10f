import Testing
@testable import ConclaveClient

/// Cutting input streams into lines with a bound on what one unfinished line may hold.
@Suite struct ConnectLineSplitterTests {
    private func texts(_ lines: [LineSplitter.Line]) -> [String] {
        lines.map { line in
            switch line {
            case let .text(bytes, number): "\(number):\(String(decoding: bytes, as: UTF8.self))"
            case let .overlong(number): "\(number):overlong"
            }
        }
    }

    @Test func linesAcrossChunksAndALastLineWithoutNewline() {
        var splitter = LineSplitter()
        #expect(texts(splitter.append(Array("ab\ncd".utf8))) == ["1:ab"])
        #expect(texts(splitter.append(Array("e\n\nf".utf8))) == ["2:cde", "3:"])
        #expect(splitter.hasPartialLine)
        #expect(texts(splitter.finish().map { [$0] } ?? []) == ["4:f"])
        #expect(splitter.finish() == nil)
    }

    @Test func anOverlongLineIsSkippedToItsEndAndReportedOnce() {
        var splitter = LineSplitter(maximumLineByteCount: 4)
        #expect(texts(splitter.append(Array("abc".utf8))) == [])
        #expect(texts(splitter.append(Array("defgh".utf8))) == [])
        #expect(texts(splitter.append(Array("ij\nok\n".utf8))) == ["1:overlong", "2:ok"])
        #expect(texts(splitter.append(Array("12345".utf8))) == [])
        #expect(texts(splitter.finish().map { [$0] } ?? []) == ["3:overlong"])
    }

    @Test func aLineOfExactlyTheLimitIsKept() {
        var splitter = LineSplitter(maximumLineByteCount: 4)
        #expect(texts(splitter.append(Array("abcd\n".utf8))) == ["1:abcd"])
    }
}
