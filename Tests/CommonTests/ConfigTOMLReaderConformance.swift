import Testing
@testable import ConclaveIdentity

/// TOML 1.0 conformance: the specification's examples and more are read to the same values as a reference reader,
/// and invalid documents are refused with one line naming the place.
extension ConfigTOMLReaderTests {
    @Test(arguments: Self.validDocuments)
    func readsValidTOML(_ document: String, _ expected: String) throws {
        let root = try TOMLReader.parse(document)
        #expect(Self.render(.table(root)) == expected)
    }

    @Test(arguments: Self.invalidDocuments)
    func refusesInvalidTOML(_ document: String, _ expected: String) {
        let error = #expect(throws: TOMLError.self) { try TOMLReader.parse(document) }
        #expect(error?.description == expected)
    }

    @Test func readsTheLeapSecondAndTruncatesBeyondNanoseconds() throws {
        let root = try TOMLReader.parse("a = 1990-12-31T23:59:60Z\nb = 00:00:00.1234567891")
        #expect(root["a"] == .dateTime(TOMLDateTime(
            date: .init(year: 1990, month: 12, day: 31), time: .init(hour: 23, minute: 59, second: 60, nanosecond: 0),
            offsetMinutes: 0)))
        let time = TOMLDateTime.Time(hour: 0, minute: 0, second: 0, nanosecond: 123_456_789)
        #expect(root["b"] == .dateTime(TOMLDateTime(time: time)))
        #expect(root["a"]?.typeName == "an offset date-time")
        #expect(root["b"]?.typeName == "a local time")
    }

    /// The values in a compact text form, the same as the script that computed `expected` with `tomllib` printed.
    static func render(_ value: TOMLValue) -> String {
        switch value {
        case .string(let text): return quoted(text)
        case .integer(let number): return String(number)
        case .float(let number): return number.isNaN ? "nan" : number.description
        case .boolean(let flag): return flag ? "true" : "false"
        case .dateTime(let value): return render(value)
        case .array(let elements): return "[" + elements.map(render).joined(separator: ", ") + "]"
        case .table(let table):
            let members = table.keys.map { key in
                let bare = !key.isEmpty && key.unicodeScalars.allSatisfy {
                    $0.isASCII && (Character($0).isLetter || Character($0).isNumber || $0 == "_" || $0 == "-")
                }
                return (bare ? key : quoted(key)) + " = " + render(table[key]!)
            }
            return "{" + members.joined(separator: ", ") + "}"
        }
    }

    private static func render(_ value: TOMLDateTime) -> String {
        var text = ""
        if let date = value.date {
            text = "\(padded(date.year, 4))-\(padded(date.month, 2))-\(padded(date.day, 2))"
            if value.time != nil { text += "T" }
        }
        if let time = value.time {
            text += "\(padded(time.hour, 2)):\(padded(time.minute, 2)):\(padded(time.second, 2))"
            if time.nanosecond != 0 { text += "." + padded(time.nanosecond / 1000, 6) }
        }
        if let offset = value.offsetMinutes {
            text += (offset < 0 ? "-" : "+") + "\(padded(abs(offset) / 60, 2)):\(padded(abs(offset) % 60, 2))"
        }
        return text
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\u{00}"..."\u{1F}", "\u{7F}":
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// Valid TOML 1.0 documents (mostly the specification's own examples) and what each holds, checked
    /// against Python's `tomllib` when the table was written.
    static let validDocuments: [(document: String, expected: String)] = [
        (
            #"""
            # This is a full-line comment
            key = "value"  # This is a comment at the end of a line
            another = "# This is not a comment"
            """#,
            ##"{key = "value", another = "# This is not a comment"}"##
        ),
        (
            #"""
            key = "value"
            bare_key = "value"
            bare-key = "value"
            1234 = "value"
            """#,
            ##"{key = "value", bare_key = "value", bare-key = "value", 1234 = "value"}"##
        ),
        (
            #"""
            "127.0.0.1" = "value"
            "character encoding" = "value"
            "ʎǝʞ" = "value"
            'key2' = "value"
            'quoted "value"' = "value"
            "" = "blank"
            """#,
            ##"{"127.0.0.1" = "value", "character encoding" = "value", "ʎǝʞ" = "value", key2 = "value", "quoted"##
                + ##" \"value\"" = "value", "" = "blank"}"##
        ),
        (
            #"""
            name = "Orange"
            physical.color = "orange"
            physical.shape = "round"
            site."google.com" = true
            """#,
            ##"{name = "Orange", physical = {color = "orange", shape = "round"}, site = {"google.com" = true}}"##
        ),
        (
            #"""
            fruit.name = "banana"     # this is best practice
            fruit. color = "yellow"    # same as fruit.color
            fruit . flavor = "banana"   # same as fruit.flavor
            """#,
            ##"{fruit = {name = "banana", color = "yellow", flavor = "banana"}}"##
        ),
        (
            #"""
            fruit.apple.smooth = true
            fruit.orange = 2
            """#,
            ##"{fruit = {apple = {smooth = true}, orange = 2}}"##
        ),
        (
            #"""
            apple.type = "fruit"
            orange.type = "fruit"
            apple.skin = "thin"
            orange.skin = "thick"
            apple.color = "red"
            orange.color = "orange"
            """#,
            ##"{apple = {type = "fruit", skin = "thin", color = "red"}, orange = {type = "fruit", skin = "thick"##
                + ##"", color = "orange"}}"##
        ),
        (
            #"""
            3.14159 = "pi"
            """#,
            ##"{3 = {14159 = "pi"}}"##
        ),
        (
            #"""
            ui.color = true
            ui.theme = "dark"
            """#,
            ##"{ui = {color = true, theme = "dark"}}"##
        ),
        (
            #"""
            str = "I'm a string. \"You can quote me\". Name\tJos\u00E9\nLocation\tSF."
            """#,
            ##"{str = "I'm a string. \"You can quote me\". Name\tJosé\nLocation\tSF."}"##
        ),
        (
            #"""
            str1 = """
            Roses are red
            Violets are blue"""
            """#,
            ##"{str1 = "Roses are red\nViolets are blue"}"##
        ),
        (
            #"""
            str1 = "The quick brown fox jumps over the lazy dog."
            str2 = """
            The quick brown \


              fox jumps over \
                the lazy dog."""
            str3 = """\
                   The quick brown \
                   fox jumps over \
                   the lazy dog.\
                   """
            """#,
            ##"{str1 = "The quick brown fox jumps over the lazy dog.", str2 = "The quick brown fox jumps over t"##
                + ##"he lazy dog.", str3 = "The quick brown fox jumps over the lazy dog."}"##
        ),
        (
            #"""
            str4 = """Here are two quotation marks: "". Simple enough."""
            str5 = """Here are three quotation marks: ""\"."""
            str6 = """Here are fifteen quotation marks: ""\"""\"""\"""\"""\"."""
            str7 = """"This," she said, "is just a pointless statement.""""
            """#,
            ##"{str4 = "Here are two quotation marks: \"\". Simple enough.", str5 = "Here are three quotation m"##
                + ##"arks: \"\"\".", str6 = "Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\".", str7"##
                + ##" = "\"This,\" she said, \"is just a pointless statement.\""}"##
        ),
        (
            #"""
            winpath  = 'C:\Users\nodejs\templates'
            winpath2 = '\\ServerX\admin$\system32\'
            quoted   = 'Tom "Dubs" Preston-Werner'
            regex    = '<\i\c*\s*>'
            end = 1
            """#,
            ##"{winpath = "C:\\Users\\nodejs\\templates", winpath2 = "\\\\ServerX\\admin$\\system32\\", quoted "##
                + ##"= "Tom \"Dubs\" Preston-Werner", regex = "<\\i\\c*\\s*>", end = 1}"##
        ),
        (
            #"""
            regex2 = '''I [dw]on't need \d{2} apples'''
            lines  = '''
            The first newline is
            trimmed in raw strings.
               All other whitespace
               is preserved.
            '''
            """#,
            ##"{regex2 = "I [dw]on't need \\d{2} apples", lines = "The first newline is\ntrimmed in raw strings"##
                + ##".\n   All other whitespace\n   is preserved.\n"}"##
        ),
        (
            #"""
            quot15 = '''Here are fifteen quotation marks: """""""""""""""'''
            apos15 = "Here are fifteen apostrophes: '''''''''''''''"
            str = ''''That,' she said, 'is still pointless.''''
            """#,
            ##"{quot15 = "Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"", apos15 = "Here are"##
                + ##" fifteen apostrophes: '''''''''''''''", str = "'That,' she said, 'is still pointless.'"}"##
        ),
        (
            #"""
            escapes = "\b\t\n\f\r\"\\\u0041\U0001F600"
            """#,
            ##"{escapes = "\u{8}\t\n\u{C}\u{D}\"\\A😀"}"##
        ),
        (
            #"""
            int1 = +99
            int2 = 42
            int3 = 0
            int4 = -17
            int5 = 1_000
            int6 = 5_349_221
            int7 = 53_49_221
            int8 = 1_2_3_4_5
            hex1 = 0xDEADBEEF
            hex2 = 0xdeadbeef
            hex3 = 0xdead_beef
            oct1 = 0o01234567
            oct2 = 0o755
            bin1 = 0b11010110
            zero = +0
            negzero = -0
            max = 9_223_372_036_854_775_807
            min = -9_223_372_036_854_775_808
            """#,
            ##"{int1 = 99, int2 = 42, int3 = 0, int4 = -17, int5 = 1000, int6 = 5349221, int7 = 5349221, int8 ="##
                + ##" 12345, hex1 = 3735928559, hex2 = 3735928559, hex3 = 3735928559, oct1 = 342391, oct2 = 493, bin1"##
                + ##" = 214, zero = 0, negzero = 0, max = 9223372036854775807, min = -9223372036854775808}"##
        ),
        (
            #"""
            flt1 = +1.0
            flt2 = 3.1415
            flt3 = -0.01
            flt4 = 5e+22
            flt5 = 1e06
            flt6 = -2E-2
            flt7 = 6.626e-34
            flt8 = 224_617.445_991_228
            sf1 = inf
            sf2 = +inf
            sf3 = -inf
            zero = 0.0
            exp0 = 0e0
            """#,
            ##"{flt1 = 1.0, flt2 = 3.1415, flt3 = -0.01, flt4 = 5e+22, flt5 = 1000000.0, flt6 = -0.02, flt7 = 6"##
                + ##".626e-34, flt8 = 224617.445991228, sf1 = inf, sf2 = inf, sf3 = -inf, zero = 0.0, exp0 = 0.0}"##
        ),
        (
            #"""
            bool1 = true
            bool2 = false
            """#,
            ##"{bool1 = true, bool2 = false}"##
        ),
        (
            #"""
            odt1 = 1979-05-27T07:32:00Z
            odt2 = 1979-05-27T00:32:00-07:00
            odt3 = 1979-05-27T00:32:00.999999-07:00
            odt4 = 1979-05-27 07:32:00Z
            odt5 = 1979-05-27t07:32:00z
            ldt1 = 1979-05-27T07:32:00
            ldt2 = 1979-05-27T00:32:00.999999
            ld1 = 1979-05-27
            lt1 = 07:32:00
            lt2 = 00:32:00.999999
            leap = 2000-02-29
            """#,
            ##"{odt1 = 1979-05-27T07:32:00+00:00, odt2 = 1979-05-27T00:32:00-07:00, odt3 = 1979-05-27T00:32:00."##
                + ##"999999-07:00, odt4 = 1979-05-27T07:32:00+00:00, odt5 = 1979-05-27T07:32:00+00:00, ldt1 = 1979-05"##
                + ##"-27T07:32:00, ldt2 = 1979-05-27T00:32:00.999999, ld1 = 1979-05-27, lt1 = 07:32:00, lt2 = 00:32:0"##
                + ##"0.999999, leap = 2000-02-29}"##
        ),
        (
            #"""
            d = 1979-05-27 # a date, then a comment
            a = [1979-05-27, 07:32:00, 1979-05-27 07:32:00]
            """#,
            ##"{d = 1979-05-27, a = [1979-05-27, 07:32:00, 1979-05-27T07:32:00]}"##
        ),
        (
            #"""
            integers = [ 1, 2, 3 ]
            colors = [ "red", "yellow", "green" ]
            nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]
            nested_mixed_array = [ [ 1, 2 ], ["a", "b", "c"] ]
            string_array = [ "all", 'strings', """are the same""", '''type''' ]
            numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]
            contributors = [
              "Foo Bar <foo@example.com>",
              { name = "Baz Qux", email = "bazqux@example.com", url = "https://example.com/bazqux" }
            ]
            """#,
            ##"{integers = [1, 2, 3], colors = ["red", "yellow", "green"], nested_arrays_of_ints = [[1, 2], [3,"##
                + ##" 4, 5]], nested_mixed_array = [[1, 2], ["a", "b", "c"]], string_array = ["all", "strings", "are "##
                + ##"the same", "type"], numbers = [0.1, 0.2, 0.5, 1, 2, 5], contributors = ["Foo Bar <foo@example.co"##
                + ##"m>", {name = "Baz Qux", email = "bazqux@example.com", url = "https://example.com/bazqux"}]}"##
        ),
        (
            #"""
            integers2 = [
              1, 2, 3
            ]
            integers3 = [
              1,
              2, # this is ok
            ]
            empty = [ ]
            commented = [ # a
              # b
              1 # c
              , # d
            ]
            """#,
            ##"{integers2 = [1, 2, 3], integers3 = [1, 2], empty = [], commented = [1]}"##
        ),
        (
            #"""
            [table-1]
            key1 = "some string"
            key2 = 123

            [table-2]
            key1 = "another string"
            key2 = 456
            """#,
            ##"{table-1 = {key1 = "some string", key2 = 123}, table-2 = {key1 = "another string", key2 = 456}}"##
        ),
        (
            #"""
            [dog."tater.man"]
            type.name = "pug"
            """#,
            ##"{dog = {"tater.man" = {type = {name = "pug"}}}}"##
        ),
        (
            #"""
            [a.b.c]            # this is best practice
            [ d.e.f ]          # same as [d.e.f]
            [ g .  h  . i ]    # same as [g.h.i]
            [ j . "ʞ" . 'l' ]  # same as [j."ʞ".'l']
            """#,
            ##"{a = {b = {c = {}}}, d = {e = {f = {}}}, g = {h = {i = {}}}, j = {"ʞ" = {l = {}}}}"##
        ),
        (
            #"""
            # [x] you
            # [x.y] don't
            # [x.y.z] need these
            [x.y.z.w] # for this to work

            [x] # defining a super-table afterward is ok
            """#,
            ##"{x = {y = {z = {w = {}}}}}"##
        ),
        (
            #"""
            # Top-level table begins.
            name = "Fido"
            breed = "pug"

            # Top-level table ends.
            [owner]
            name = "Regina Dogman"
            member_since = 1999-08-04
            """#,
            ##"{name = "Fido", breed = "pug", owner = {name = "Regina Dogman", member_since = 1999-08-04}}"##
        ),
        (
            #"""
            [fruit]
            apple.color = "red"
            apple.taste.sweet = true

            [fruit.apple.texture]  # you can add sub-tables
            smooth = true
            """#,
            ##"{fruit = {apple = {color = "red", taste = {sweet = true}, texture = {smooth = true}}}}"##
        ),
        (
            #"""
            [fruit.apple]
            [animal]
            [fruit.orange]
            """#,
            ##"{fruit = {apple = {}, orange = {}}, animal = {}}"##
        ),
        (
            #"""
            name = { first = "Tom", last = "Preston-Werner" }
            point = { x = 1, y = 2 }
            animal = { type.name = "pug" }
            empty = {}
            nested = { a = { b = [ { c = 1 } ] } }
            """#,
            ##"{name = {first = "Tom", last = "Preston-Werner"}, point = {x = 1, y = 2}, animal = {type = {name"##
                + ##" = "pug"}}, empty = {}, nested = {a = {b = [{c = 1}]}}}"##
        ),
        (
            #"""
            [[products]]
            name = "Hammer"
            sku = 738594937

            [[products]]  # empty table within the array

            [[products]]
            name = "Nail"
            sku = 284758393

            color = "gray"
            """#,
            ##"{products = [{name = "Hammer", sku = 738594937}, {}, {name = "Nail", sku = 284758393, color = "g"##
                + ##"ray"}]}"##
        ),
        (
            #"""
            [[fruits]]
            name = "apple"

            [fruits.physical]  # subtable
            color = "red"
            shape = "round"

            [[fruits.varieties]]  # nested array of tables
            name = "red delicious"

            [[fruits.varieties]]
            name = "granny smith"


            [[fruits]]
            name = "banana"

            [[fruits.varieties]]
            name = "plantain"
            """#,
            ##"{fruits = [{name = "apple", physical = {color = "red", shape = "round"}, varieties = [{name = "r"##
                + ##"ed delicious"}, {name = "granny smith"}]}, {name = "banana", varieties = [{name = "plantain"}]}]"##
                + ##"}"##
        ),
        (
            #"""
            points = [ { x = 1, y = 2, z = 3 },
                       { x = 7, y = 8, z = 9 },
                       { x = 2, y = 4, z = 8 } ]
            """#,
            ##"{points = [{x = 1, y = 2, z = 3}, {x = 7, y = 8, z = 9}, {x = 2, y = 4, z = 8}]}"##
        ),
        (
            #"""
            [[a.b]]
            x = 1
            [a]
            y = 2
            """#,
            ##"{a = {b = [{x = 1}], y = 2}}"##
        ),
        (
            "a = 1\r\n[t]\r\nb = \"\"\"x\r\ny\"\"\"\r\n",
            ##"{a = 1, t = {b = "x\ny"}}"##
        ),
        (
            "",
            ##"{}"##
        ),
        (
            #"""
            # only a comment
            """#,
            ##"{}"##
        ),
        (
            "\n\n  \t\n",
            ##"{}"##
        ),
        (
            #"""
            key = "value" # no newline at the end
            """#,
            ##"{key = "value"}"##
        ),
    ]

    /// Invalid documents (each refused by `tomllib` too) and the one-line error for each.
    static let invalidDocuments: [(document: String, error: String)] = [
        ("a = 1\na = 2", "2:1: duplicate key `a`"),
        ("a.b = 1\na.b = 2", "2:1: duplicate key `a.b`"),
        ("a = false\na.b = true", "2:1: `a` is already a value, not a table"),
        ("a.b = 1\na.b.c = 2", "2:3: `a.b` is already a value, not a table"),
        ("[fruit]\napple.color = 'red'\n[fruit.apple]", "3:1: table [fruit.apple] is already defined by dotted keys"),
        (
            "[fruit]\napple.taste.sweet = true\n[fruit.apple.taste]",
            "3:1: table [fruit.apple.taste] is already defined by dotted keys"
        ),
        ("[a.b.c]\nz = 9\n[a]\nb.c.t = 1", "4:1: `b` is a table with a [header]; a dotted key cannot add to it"),
        (
            "[fruit.physical]\n[fruit]\nphysical.color = 'x'",
            "3:1: `physical` is a table with a [header]; a dotted key cannot add to it"
        ),
        ("[[a.b]]\n[a]\nb.y = 2", "3:1: `b` is an array of tables; a dotted key cannot add to it"),
        ("[t]\n[t]", "2:1: table [t] is defined twice"),
        ("[a.b]\n[a]\n[a]", "3:1: table [a] is defined twice"),
        ("[t]\na = 1\n[t.a]", "3:1: key `a` is already defined (line 2); [t.a] cannot add to it"),
        ("[[t]]\n[t]", "2:1: [t] names an array of tables; use [[t]]"),
        ("[t]\n[[t]]", "2:1: [[t]] names a table, not an array of tables"),
        (
            "overrides = []\n[[overrides]]",
            "2:1: key `overrides` is already defined (line 1); [[overrides]] cannot add to it"
        ),
        ("a = {b = 1}\n[a.c]", "2:1: `a` in [a.c] is already a value, not a table"),
        ("a = {b = 1}\na.c = 2", "2:1: `a` is already a value, not a table"),
        ("a = {b = 1}\n[a]", "2:1: key `a` is already defined (line 1); [a] cannot add to it"),
        ("a = [{b = 1}]\n[[a]]", "2:1: key `a` is already defined (line 1); [[a]] cannot add to it"),
        ("a = { b = 1, b = 2 }", "1:14: duplicate key `b`"),
        ("a = { b.c = 1, b = 2 }", "1:16: duplicate key `b`"),
        ("a = { b = 1, }", "1:14: expected a key"),
        ("a = { b = 1,\n c = 2 }", "1:13: expected a key"),
        ("a = { b = 1\n}", "1:12: expected ',' or '}' in the inline table (it must fit on one line)"),
        ("a = \"\\q\"", "1:6: unknown escape sequence"),
        ("a = \"\\x41\"", "1:6: unknown escape sequence"),
        ("a = \"\\u12\"", "1:6: \\u needs 4 hex digits"),
        ("a = \"\\uD800\"", "1:6: escape is not a Unicode scalar value (a surrogate or above U+10FFFF)"),
        ("a = \"\\U00110000\"", "1:6: escape is not a Unicode scalar value (a surrogate or above U+10FFFF)"),
        ("a = \"open", "1:10: unterminated string"),
        ("a = 'x\ny'", "1:7: unterminated string"),
        ("a = '''x''''''", "1:9: too many quotes in a row in a multi-line string"),
        ("a = \"\"\"x\"\"\"\"\"\"", "1:9: too many quotes in a row in a multi-line string"),
        ("a = 012", "1:5: invalid value `012`"),
        ("a = +012", "1:5: invalid value `+012`"),
        ("a = 00.5", "1:5: invalid value `00.5`"),
        ("a = 1__0", "1:5: invalid value `1__0`"),
        ("a = _1", "1:5: invalid value `_1`"),
        ("a = 1_", "1:5: invalid value `1_`"),
        ("a = 0x_1", "1:5: invalid value `0x_1`"),
        ("a = 0X1", "1:5: invalid value `0X1`"),
        ("a = +0x1", "1:5: invalid value `+0x1`"),
        ("a = 0o8", "1:5: invalid value `0o8`"),
        ("a = 0b2", "1:5: invalid value `0b2`"),
        ("a = .5", "1:5: invalid value `.5`"),
        ("a = 5.", "1:5: invalid value `5.`"),
        ("a = 1e", "1:5: invalid value `1e`"),
        ("a = 1.e5", "1:5: invalid value `1.e5`"),
        ("a = infinity", "1:5: invalid value `infinity`"),
        ("a = NaN", "1:5: invalid value `NaN`"),
        ("a = 9223372036854775808", "1:5: integer `9223372036854775808` is out of range"),
        ("a = 1979-02-29", "1:5: invalid date 1979-02-29"),
        ("a = 1979-13-01", "1:5: invalid date 1979-13-01"),
        ("a = 1979-05-27T25:00:00", "1:5: invalid time 25:00:00"),
        ("a = 1979-5-27", "1:5: invalid date or time"),
        ("a = 1979-05-27T07:32", "1:5: invalid date or time"),
        ("a = 07:32", "1:5: invalid date or time"),
        ("a = 1979-05-27T07:32:00+7:00", "1:5: invalid date or time"),
        ("a = 1979-05-27T07:32:00.", "1:5: expected digits after '.' in the time"),
        ("a = 1979-05-27 07", "1:16: expected the end of the line"),
        ("a = bare", "1:5: invalid value `bare`"),
        ("a = 1 2", "1:7: expected the end of the line"),
        ("a.b.c", "1:6: expected '=' after the key"),
        ("a. = 1", "1:4: expected a key"),
        ("= 1", "1:1: expected a key"),
        ("a = [1, 2", "1:10: expected ',' or ']' in the array"),
        ("a = [,]", "1:6: expected a value"),
        ("[t\n", "1:3: expected ']' to close the table header"),
        ("[]", "1:2: expected a key"),
        ("[a.]", "1:4: expected a key"),
        ("[[a]", "1:5: expected ']]' to close the array-of-tables header"),
        ("[a] b = 1", "1:5: expected the end of the line"),
        ("\"\"\"k\"\"\" = 1", "1:1: a multi-line string cannot be a key"),
        ("a = 1\r", "1:6: expected the end of the line"),
        ("# bell \u{7}", "1:8: control character U+0007 in a comment"),
    ]
}
