import EdgeSystem
import Testing

@Suite struct JSONValueTests {
    /// The error `text` fails with, or nil when it parses.
    static func syntaxError(_ text: String) -> JSONSyntaxError? {
        do {
            _ = try JSONValue.parse(text)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Round trips

    @Test(arguments: [
        "null", "true", "false", "0", "-12", "3.5", #""""#, #""text""#, "[]", "{}", "[1,[2,[3]],{}]",
        #"{"b":1,"a":[true,false,null],"c":{"d":"x","e":[]}}"#, #"{"esc":"a\"b\\c\nd\te\r\u0001"}"#,
        #"["ü€😀"]"#,
    ])
    func compactTextComesBackAsIs(_ text: String) throws {
        #expect(try JSONValue.parse(text).serialized == text)
    }

    @Test func whitespaceIsDroppedAndTheValueKept() throws {
        let value = try JSONValue.parse(" \n\t{ \"a\" :\r\n [ 1 , 2 ] , \"b\" : { } }\n ")
        #expect(value.serialized == #"{"a":[1,2],"b":{}}"#)
        #expect(value == .object([("a", .array([.number(1), .number(2)])), ("b", .object([]))]))
    }

    @Test func parsingTheSerializedTextGivesTheSameValue() throws {
        let value: JSONValue = .object([
            ("name", "edge"), ("port", 8080), ("ratio", .number(0.25)), ("tags", ["a", "b"]),
            ("nested", .object([("deep", .array([.null, true, .string("q\"uote")]))])),
            ("missing", JSONValue(nil as String?)),
        ])
        let text = value.serialized
        #expect(try JSONValue.parse(text) == value)
        #expect(try JSONValue.parse(text).serialized == text)
    }

    @Test func objectKeysKeepTheirDocumentOrder() throws {
        let value = try JSONValue.parse(#"{"zeta":1,"alpha":2,"mid":3}"#)
        guard case .object(let members) = value else {
            Issue.record("expected an object")
            return
        }
        #expect(members.map(\.0) == ["zeta", "alpha", "mid"])
        #expect(value.serialized == #"{"zeta":1,"alpha":2,"mid":3}"#)
        // Order is part of equality.
        #expect(try value != JSONValue.parse(#"{"alpha":2,"zeta":1,"mid":3}"#))
    }

    @Test func writeAppends() {
        var out = "prefix:"
        JSONValue.array([1, "x"]).write(to: &out)
        #expect(out == #"prefix:[1,"x"]"#)
    }

    // MARK: - Strings

    @Test func escapesAreDecoded() throws {
        let value = try JSONValue.parse(#""q\" b\\ s\/ n\n t\t r\r b\b f\f u\u0041\u00fc\u20AC""#)
        #expect(value == .string("q\" b\\ s/ n\n t\t r\r b\u{8} f\u{C} uAü€"))
    }

    @Test func escapingForOutput() {
        #expect(JSONValue.string("say \"hi\"").serialized == #""say \"hi\"""#)
        #expect(JSONValue.string(#"C:\dir"#).serialized == #""C:\\dir""#)
        #expect(JSONValue.string("a\nb\tc\rd").serialized == #""a\nb\tc\rd""#)
        #expect(JSONValue.string("\u{0}\u{1}\u{8}\u{C}\u{1F}").serialized == #""\u0000\u0001\u0008\u000c\u001f""#)
        // The two line separators JavaScript does not allow in a string literal.
        #expect(JSONValue.string("\u{2028}\u{2029}").serialized == #""\u2028\u2029""#)
        // Everything else goes out as UTF-8, slash included.
        #expect(JSONValue.string("ü/€😀\u{7F}").serialized == "\"ü/€😀\u{7F}\"")
    }

    @Test func rawUTF8InStringsIsKept() throws {
        #expect(try JSONValue.parse("\"Jürgen 😀 日本\"") == .string("Jürgen 😀 日本"))
    }

    // MARK: - Numbers

    @Test(arguments: [
        ("0", 0.0), ("-0", 0.0), ("42", 42), ("-17", -17), ("3.25", 3.25), ("-0.5", -0.5), ("1e3", 1000),
        ("1E3", 1000), ("2.5e-3", 0.0025), ("-4.2E+2", -420), ("9007199254740993", 9_007_199_254_740_992),
    ])
    func numbersParse(_ text: String, _ expected: Double) throws {
        #expect(try JSONValue.parse(text) == .number(expected))
    }

    @Test func wholeNumbersAreWrittenWithoutAFraction() throws {
        #expect(JSONValue.number(1000).serialized == "1000")
        #expect(JSONValue.number(-42).serialized == "-42")
        #expect(JSONValue.number(-0.0).serialized == "0")
        #expect(JSONValue.number(999_999_999_999_999).serialized == "999999999999999")
        #expect(JSONValue(7).serialized == "7" && JSONValue(2.5).serialized == "2.5")
        #expect(JSONValue.number(0.1).serialized == "0.1")
        #expect(JSONValue.number(-2.5e-7).serialized == "-2.5e-07")
        // From 1e15 on, or with a fraction, the shortest text that reads back the same.
        #expect(try JSONValue.parse(JSONValue.number(1e15).serialized) == .number(1e15))
        #expect(try JSONValue.parse(JSONValue.number(1.5e300).serialized) == .number(1.5e300))
        #expect(try JSONValue.parse(JSONValue.number(0.1 + 0.2).serialized) == .number(0.1 + 0.2))
    }

    @Test(arguments: ["-", "--1", "1.2.3", "1e", "1e+", "2-1", "1+1", "-e3"])
    func malformedNumbersAreErrors(_ text: String) throws {
        let error = try #require(Self.syntaxError(text))
        #expect(error.description == "1:1: invalid number '\(text)'")
    }

    @Test(arguments: ["+1", ".5", "NaN", "Infinity", "0x10"])
    func notNumbersAtAll(_ text: String) {
        #expect(Self.syntaxError(text) != nil, "\(text)")
    }

    // MARK: - Errors, with line and column

    @Test(arguments: [
        ("", 1, 1, "unexpected end of input; expected a value"),
        ("   ", 1, 4, "unexpected end of input; expected a value"),
        ("1 2", 1, 3, "unexpected text after the JSON value"),
        ("[1,]", 1, 4, "unexpected character ']'; expected a value"),
        ("[1 2]", 1, 4, "expected ',' or ']'"),
        ("[1,2", 1, 5, "unexpected end of input; expected ',' or ']'"),
        (#"{"a":1"#, 1, 7, "unexpected end of input; expected ',' or '}'"),
        (#"{"a":1 "b":2}"#, 1, 8, "expected ',' or '}'"),
        ("{1:2}", 1, 2, "expected a quoted key"),
        ("{", 1, 2, "unexpected end of input; expected a key"),
        (#"{"a",1}"#, 1, 5, #"expected ':' after key "a""#),
        (#"{"a":}"#, 1, 6, "unexpected character '}'; expected a value"),
        ("tru", 1, 4, "invalid literal; expected 'true'"),
        ("nulL", 1, 4, "invalid literal; expected 'null'"),
        ("fals e", 1, 5, "invalid literal; expected 'false'"),
        (#""abc"#, 1, 5, "unterminated string"),
        (#""abc\"#, 1, 6, "unterminated string"),
        (#""a\qb""#, 1, 4, #"invalid escape '\q'"#),
        (#""\u12G4""#, 1, 4, #"invalid \u escape"#),
        (#""\u12""#, 1, 4, #"invalid \u escape"#),
        ("\"a\u{1}b\"", 1, 3, "control character in string"),
        ("\"line\nbreak\"", 1, 6, "control character in string"),
        ("{\n  \"a\": 1,\n  \"b\" 2\n}", 3, 7, #"expected ':' after key "b""#),
        ("[\"ü€\", x]", 1, 8, "unexpected character 'x'; expected a value"),
        ("[\n\n   @]", 3, 4, "unexpected character '@'; expected a value"),
    ])
    func syntaxErrorsSayWhereAndWhat(_ text: String, _ line: Int, _ column: Int, _ message: String) throws {
        let error = try #require(Self.syntaxError(text), "\(text) parsed")
        #expect(error.line == line, "\(text)")
        #expect(error.column == column, "\(text)")
        #expect(error.message == message, "\(text)")
        #expect(error.description == "\(line):\(column): \(message)")
    }

    // MARK: - Depth

    @Test func nestingIsLimitedTo64Levels() throws {
        let deepest = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try JSONValue.parse(deepest).serialized == deepest)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(Self.syntaxError(tooDeep)?.description == "1:65: nested too deeply")
        let valueTooDeep = String(repeating: "[", count: 64) + "1" + String(repeating: "]", count: 64)
        #expect(Self.syntaxError(valueTooDeep)?.message == "nested too deeply")
    }

    @Test func objectsCountTowardsTheDepth() {
        let deep = String(repeating: #"{"k":"#, count: 64) + "1" + String(repeating: "}", count: 64)
        #expect(Self.syntaxError(deep)?.message == "nested too deeply")
        let fits = String(repeating: #"{"k":"#, count: 63) + "1" + String(repeating: "}", count: 63)
        #expect(Self.syntaxError(fits) == nil)
    }

    @Test func aHugeNestingFailsInsteadOfOverflowingTheStack() {
        let text = String(repeating: "[", count: 100_000)
        #expect(Self.syntaxError(text)?.message == "nested too deeply")
    }

    // MARK: - Reading values

    @Test func subscripts() throws {
        let value = try JSONValue.parse(#"{"a":{"b":[10,"x",null]},"dup":1,"dup":2}"#)
        #expect(value["a"]?["b"]?[0] == 10)
        #expect(value["a"]?["b"]?[1] == "x")
        #expect(value["a"]?["b"]?[2] == .null)
        #expect(value["a"]?["b"]?[3] == nil)
        #expect(value["a"]?["b"]?[-1] == nil)
        #expect(value["missing"] == nil)
        #expect(value[0] == nil, "an object has no index")
        #expect(value["a"]?["b"]?["key"] == nil, "an array has no key")
        #expect(JSONValue.string("s")["key"] == nil)
        // The first of two equal keys.
        #expect(value["dup"] == 1)
    }

    @Test func literalsBuildValues() {
        let built: JSONValue = ["a", 1, true, ["nested"]]
        #expect(built == .array([.string("a"), .number(1), .bool(true), .array([.string("nested")])]))
        #expect(JSONValue("s") == .string("s"))
        #expect(JSONValue(nil as String?) == .null)
        #expect(JSONValue(3) == .number(3) && JSONValue(0.5) == .number(0.5))
    }

    @Test func valuesOfDifferentKindsAreNotEqual() {
        #expect(JSONValue.number(1) != .bool(true))
        #expect(JSONValue.string("null") != .null)
        #expect(JSONValue.array([]) != .object([]))
        #expect(JSONValue.object([("a", 1)]) != .object([("a", 2)]))
        #expect(JSONValue.object([("a", 1)]) != .object([("b", 1)]))
        #expect(JSONValue.array([1]) != .array([1, 1]))
    }
}
