import Testing
@testable import ConclaveIdentity

@Suite struct ConfigTOMLReaderTests {
    @Test func readsKeysStringsAndScalars() throws {
        let root = try TOMLReader.parse(#"""
            # a comment
            bare_key-1 = "basic \"quoted\" \\ \t \u00e9 \U0001F600"  # trailing comment
            "quoted key" = 'literal \no escapes'
            'literal key' = 42
            negative = -17
            big = 9_223_372_036_854_775_807
            hex = 0xdead_BEEF
            octal = 0o755
            binary = 0b1010
            float = 6.626e-34
            plain_float = -1_000.5
            infinity = -inf
            yes = true
            no = false
            """#)
        #expect(root.keys == [
            "bare_key-1", "quoted key", "literal key", "negative", "big", "hex", "octal", "binary", "float",
            "plain_float", "infinity", "yes", "no",
        ])
        #expect(root["bare_key-1"] == .string("basic \"quoted\" \\ \t é 😀"))
        #expect(root["quoted key"] == .string(#"literal \no escapes"#))
        #expect(root["literal key"] == .integer(42))
        #expect(root["negative"] == .integer(-17))
        #expect(root["big"] == .integer(Int64.max))
        #expect(root["hex"] == .integer(0xdead_beef))
        #expect(root["octal"] == .integer(0o755))
        #expect(root["binary"] == .integer(10))
        #expect(root["float"] == .float(6.626e-34))
        #expect(root["plain_float"] == .float(-1000.5))
        #expect(root["infinity"] == .float(-.infinity))
        #expect(root["yes"] == .boolean(true))
        #expect(root["no"] == .boolean(false))
        #expect(root.keyPositions["negative"] == TOMLPosition(line: 5, column: 1))
    }

    @Test func readsMultilineStrings() throws {
        let root = try TOMLReader.parse("""
            a = \"\"\"
            first
              second \\
                 joined\"\"\"
            b = '''
            raw \\n ''line'''''
            c = \"\"\"x\"\"\"\"\"
            """)
        #expect(root["a"] == .string("first\n  second joined"))
        #expect(root["b"] == .string("raw \\n ''line''"))
        #expect(root["c"] == .string("x\"\""))
    }

    @Test func readsTablesArraysOfTablesAndInlineValues() throws {
        let root = try TOMLReader.parse("""
            list = [ 1, "two", [3], { four = 4 }, ]
            multi = [
              "a", # comment inside
              "b"
            ]

            [outer.inner]
            x = 1
            [outer]
            y = 2

            [[items]]
            name = "first"
            [[items]]
            name = "second"
            [items.detail]
            z = 3
            """)
        var inlineTable = TOMLTable(position: TOMLPosition(line: 1, column: 25))
        inlineTable.set("four", .integer(4), at: TOMLPosition(line: 1, column: 27))
        #expect(root["list"] == .array([.integer(1), .string("two"), .array([.integer(3)]), .table(inlineTable)]))
        #expect(root["multi"] == .array([.string("a"), .string("b")]))
        guard case .table(let outer)? = root["outer"], case .table(let inner)? = outer["inner"] else {
            Issue.record("outer.inner missing")
            return
        }
        #expect(inner["x"] == .integer(1))
        #expect(outer["y"] == .integer(2))
        guard case .array(let items)? = root["items"], items.count == 2,
              case .table(let second) = items[1], case .table(let detail)? = second["detail"]
        else {
            Issue.record("items missing")
            return
        }
        #expect(second["name"] == .string("second"))
        #expect(detail["z"] == .integer(3))
        #expect(second.position == TOMLPosition(line: 14, column: 1))
    }

    @Test func acceptsCRLFLineEndings() throws {
        let root = try TOMLReader.parse("a = 1\r\n# c\r\n[t]\r\nb = \"x\"\r\n")
        guard case .table(let table)? = root["t"] else {
            Issue.record("t missing")
            return
        }
        #expect(table["b"] == .string("x"))
    }

    @Test(arguments: [
        ("a = 1\na = 2", "2:1: duplicate key `a`"),
        ("a = \"open", "1:10: unterminated string"),
        ("a = \"x\ny\"", "1:7: unterminated string"),
        ("a = \"\\q\"", "1:6: unknown escape sequence"),
        ("a = \"\\uD800\"", "1:6: escape is not a Unicode scalar value (a surrogate or above U+10FFFF)"),
        ("a = \"\\u12\"", "1:6: \\u needs 4 hex digits"),
        ("a = bare", "1:5: invalid value `bare`"),
        ("a = 1 2", "1:7: expected the end of the line"),
        ("a 1", "1:3: expected '=' after the key"),
        ("= 1", "1:1: expected a key"),
        ("a = 9223372036854775808", "1:5: integer `9223372036854775808` is out of range"),
        ("a = 012", "1:5: invalid value `012`"),
        ("a = 1__0", "1:5: invalid value `1__0`"),
        ("a = [1, 2", "1:10: expected ',' or ']' in the array"),
        ("a = { b = 1,\n c = 2 }", "1:13: expected a key"),
        ("[t]\n[t]", "2:1: table [t] is defined twice"),
        ("[[t]]\n[t]", "2:1: [t] names an array of tables; use [[t]]"),
        ("t = []\n[[t]]", "2:1: key `t` is already defined (line 1); [[t]] cannot add to it"),
        ("a = 1\n[a.b]", "2:1: `a` in [a.b] is already a value, not a table"),
        ("[t\n", "1:3: expected ']' to close the table header"),
        ("a = \"tab\tok but bell \u{07}\"", "1:22: control character U+0007 must be escaped in a string"),
        ("a = 1\r", "1:6: expected the end of the line"),
        ("# bell \u{07}", "1:8: control character U+0007 in a comment"),
    ])
    func refusesWithLineAndColumn(_ text: String, _ expected: String) {
        let error = #expect(throws: TOMLError.self) { try TOMLReader.parse(text) }
        #expect(error?.description == expected)
    }

    @Test func refusesInvalidUTF8WithItsPosition() {
        let error = #expect(throws: TOMLError.self) { try TOMLReader.parse(Array("a = 1\nb = \"".utf8) + [0xFF, 0x22]) }
        #expect(error?.description == "2:6: the file is not valid UTF-8")
    }

    @Test func survivesHostileNesting() {
        let error = #expect(throws: TOMLError.self) {
            try TOMLReader.parse("a = " + String(repeating: "[", count: 100_000))
        }
        #expect(error?.message == "arrays and inline tables nest too deeply")
    }

    @Test func readsALongSingleLineArray() throws {
        let elements = Array(repeating: "{ key = 'value' }", count: 20_000).joined(separator: ", ")
        let root = try TOMLReader.parse("list = [\(elements)]")
        guard case .array(let list)? = root["list"] else {
            Issue.record("list missing")
            return
        }
        #expect(list.count == 20_000)
    }

    /// Random documents over TOML's punctuation, with a fixed seed so a failure can be replayed.
    @Test func neverTrapsOnRandomInput() {
        let alphabet = Array("[]{}=.,#\"'\\ \t\n\rab01_-+:eExuU\u{00e9}".utf8) + [0x00, 0x7F, 0xC3, 0xFF]
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<3000 {
            let length = Int(generator.next() % 64)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            _ = try? TOMLReader.parse(bytes)
        }
    }

    @Test func neverTrapsOnTruncatedInput() {
        let document = """
            default_permission = "notify" # c
            [[servers]]
            url = "wss://x\\u00e9"
            list = [1, { a = 'b' }, \"\"\"m\"\"\"]
            """
        let bytes = Array(document.utf8)
        for length in 0...bytes.count {
            _ = try? TOMLReader.parse(Array(bytes[0..<length]))
        }
    }
}
