import EdgeCLI
import Testing

/// The typed command line: parsing against a spec, the real commands' specs, and help text.
@Suite struct CommandLineTests {
    static let allSpecs = [ServeCommand.spec, BuildCommand.spec, NewCommand.spec, RoutesCommand.spec]

    static func serve(_ arguments: [String]) throws -> ServeCommand.Options {
        ServeCommand.Options(try ParsedArguments(arguments, spec: ServeCommand.spec))
    }

    /// The usage error `arguments` give for `spec`, or nil when they parse.
    static func usageError(_ arguments: [String], spec: CommandSpec = ServeCommand.spec) -> UsageError? {
        do {
            _ = try ParsedArguments(arguments, spec: spec)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - serve

    @Test func serveDefaultsWhenNothingIsGiven() throws {
        let options = try Self.serve([])
        #expect(options.port == 8080)
        #expect(options.host == "127.0.0.1")
        #expect(options.handlers == "handlers")
        #expect(options.drainTimeout == .seconds(30))
        #expect(options.handlerTimeout == .seconds(30))
        #expect(options.maxBody == 16_777_216)
        #expect(options.watch && options.accessLog && options.crashBarrier && options.liveReload && options.restart)
        #expect(!options.release)
    }

    @Test func everyServeOptionIsRead() throws {
        let options = try Self.serve([
            "--handlers", "api", "--host=0.0.0.0", "--port", "0", "--release", "--drain-timeout", "2",
            "--handler-timeout=0.25", "--max-body", "1024", "--no-watch", "--no-access-log", "--no-live-reload",
            "--no-crash-barrier", "--no-restart",
        ])
        #expect(options.handlers == "api" && options.host == "0.0.0.0" && options.port == 0)
        #expect(options.release)
        #expect(options.drainTimeout == .seconds(2) && options.handlerTimeout == .milliseconds(250))
        #expect(options.maxBody == 1024)
        #expect(!options.watch && !options.accessLog && !options.liveReload)
        #expect(!options.crashBarrier && !options.restart)
    }

    @Test(arguments: [(["--port", "0"], 0), (["--port=9000"], 9000), (["--port", "65535"], 65535), (["--port=1"], 1)])
    func portValues(_ arguments: [String], _ port: Int) throws {
        #expect(try Self.serve(arguments).port == port)
    }

    @Test func theLastValueGivenWins() throws {
        #expect(try Self.serve(["--port", "1", "--port=2"]).port == 2)
    }

    @Test(arguments: [["--port", "70000"], ["--port", "abc"], ["--port=-1"], ["--port", "65536"], ["--port=8080x"]])
    func aBadPortNamesTheOptionAndTheRange(_ arguments: [String]) throws {
        let error = try #require(Self.usageError(arguments))
        let value = arguments.count == 2 ? arguments[1] : String(arguments[0].dropFirst("--port=".count))
        #expect(error.message == "Invalid value '\(value)' for '--port': expected a whole number from 0 to 65535")
        #expect(error.usage == ServeCommand.spec.usage)
        #expect(error.description == error.message)
    }

    @Test func theBodyLimitHasItsRange() throws {
        let error = try #require(Self.usageError(["--max-body", "-5"]))
        #expect(error.message.contains("'--max-body'") && error.message.contains("from 0 to 2147483647"))
    }

    @Test(arguments: [
        ("0.5", Duration.milliseconds(500)), ("0", .zero), ("1", .seconds(1)), ("2.25", .milliseconds(2250)),
        ("0.0004", .zero), ("0.0006", .milliseconds(1)), ("1e1", .seconds(10)),
    ])
    func drainTimeoutTakesFractionalSeconds(_ raw: String, _ expected: Duration) throws {
        #expect(try Self.serve(["--drain-timeout", raw]).drainTimeout == expected)
    }

    @Test(arguments: ["-1", "abc", "nan", "inf", "", "1e20"])
    func aBadDrainTimeoutIsAnError(_ raw: String) throws {
        let error = try #require(Self.usageError(["--drain-timeout=\(raw)"]))
        #expect(
            error.message == "Invalid value '\(raw)' for '--drain-timeout': expected a non-negative number of seconds")
    }

    @Test(arguments: [["--port", "x", "--help"], ["-h", "--nope"], ["--drain-timeout=-1", "-h"]])
    func helpWinsOverEverythingElseOnTheLine(_ arguments: [String]) throws {
        let parsed = try ParsedArguments(arguments, spec: ServeCommand.spec)
        #expect(parsed.helpRequested)
    }

    @Test func aNegativeNumberAfterTheOptionIsItsValue() throws {
        // `-1` does not start with `--`, so it is the value, and the value is refused.
        let error = try #require(Self.usageError(["--drain-timeout", "-1"]))
        #expect(error.message.hasPrefix("Invalid value '-1' for '--drain-timeout'"))
    }

    @Test(arguments: [["--nope"], ["--port=1", "--verbose"], ["-x"], ["--PORT", "1"]])
    func anUnknownOptionIsAnError(_ arguments: [String]) throws {
        let error = try #require(Self.usageError(arguments))
        let name = arguments.last { $0.hasPrefix("-") }!
        #expect(error.message == "Unknown option '\(name)'")
    }

    @Test func optionsOfOtherCommandsAreUnknown() throws {
        #expect(Self.usageError(["--port", "1"], spec: BuildCommand.spec)?.message == "Unknown option '--port'")
        #expect(Self.usageError(["--json"], spec: ServeCommand.spec)?.message == "Unknown option '--json'")
    }

    @Test(arguments: [["--port"], ["--port", "--release"], ["--host"], ["--drain-timeout"]])
    func aMissingValueIsAnError(_ arguments: [String]) throws {
        let error = try #require(Self.usageError(arguments))
        let expected = [
            "--port": "Missing value for '--port <port>'", "--host": "Missing value for '--host <host>'",
            "--drain-timeout": "Missing value for '--drain-timeout <seconds>'",
        ]
        #expect(error.message == expected[arguments[0]])
    }

    @Test(arguments: [["--release=yes"], ["--no-watch="], ["--help=1"]])
    func aFlagWithAValueIsAnError(_ arguments: [String]) throws {
        let error = try #require(Self.usageError(arguments))
        let name = String(arguments[0].prefix { $0 != "=" })
        #expect(error.message == "Option '\(name)' takes no value")
    }

    @Test func anEmptyInlineValueIsAValue() throws {
        #expect(try Self.serve(["--host="]).host == "")
        #expect(try Self.serve(["--handlers=a=b"]).handlers == "a=b")
    }

    @Test(arguments: [["-h"], ["--help"], ["--port", "1", "-h"], ["extra", "--help"]])
    func helpIsRequested(_ arguments: [String]) throws {
        let parsed = try ParsedArguments(arguments, spec: ServeCommand.spec)
        #expect(parsed.helpRequested)
        #expect(parsed[Flag.help])
    }

    @Test func helpIsNotRequestedUnlessAsked() throws {
        #expect(try !ParsedArguments(["--release"], spec: ServeCommand.spec).helpRequested)
    }

    @Test func anUnexpectedPositionalIsAnError() throws {
        #expect(Self.usageError(["extra"])?.message == "Unexpected argument 'extra'")
        #expect(Self.usageError(["--port", "1", "a", "b"])?.message == "Unexpected argument 'a'")
        #expect(Self.usageError(["-"], spec: RoutesCommand.spec)?.message == "Unexpected argument '-'")
    }

    @Test func hasTellsWhetherAnOptionWasGiven() throws {
        let given = try ParsedArguments(["--port", "8080"], spec: ServeCommand.spec)
        #expect(given.has(ServeCommand.port) && !given.has(ServeCommand.host))
        #expect(given[ServeCommand.port] == 8080 && given[ServeCommand.host] == "127.0.0.1")
        #expect(!given[ServeCommand.noWatch])
    }

    // MARK: - new, routes, build

    @Test func newTakesItsName() throws {
        let parsed = try ParsedArguments(["todos", "--method", "POST"], spec: NewCommand.spec)
        #expect(parsed.positionals == ["todos"])
        #expect(parsed[NewCommand.method] == "POST")
        #expect(parsed[NewCommand.path] == nil)
        #expect(parsed[CommonOptions.handlers] == "handlers")
        let withPath = try ParsedArguments(["--path=/t/{id}", "todos"], spec: NewCommand.spec)
        #expect(withPath[NewCommand.path] == "/t/{id}" && withPath[NewCommand.method] == "GET")
        #expect(withPath.positionals == ["todos"])
    }

    @Test func newWithoutItsNameIsAnError() throws {
        let error = try #require(Self.usageError([], spec: NewCommand.spec))
        #expect(error.message == "Missing expected argument '<name>'")
        #expect(error.usage == NewCommand.spec.usage)
        #expect(Self.usageError(["--method", "GET"], spec: NewCommand.spec)?.message == error.message)
        // But help needs no name.
        #expect(try ParsedArguments(["-h"], spec: NewCommand.spec).helpRequested)
    }

    @Test func newWithTwoNamesIsAnError() {
        #expect(Self.usageError(["a", "b"], spec: NewCommand.spec)?.message == "Unexpected argument 'b'")
    }

    @Test func aLoneDashIsAPositional() throws {
        #expect(try ParsedArguments(["-"], spec: NewCommand.spec).positionals == ["-"])
    }

    @Test func routesAndBuildFlags() throws {
        #expect(try ParsedArguments(["--json"], spec: RoutesCommand.spec)[RoutesCommand.json])
        #expect(try !ParsedArguments([], spec: RoutesCommand.spec)[RoutesCommand.json])
        let build = try ParsedArguments(["--release", "--handlers", "h"], spec: BuildCommand.spec)
        #expect(build[CommonOptions.release] && build[CommonOptions.handlers] == "h")
    }

    @Test func everySpecEndsWithHelp() {
        for spec in Self.allSpecs {
            #expect(spec.options.last?.name == "--help", "\(spec.name)")
            #expect(spec.options.filter { $0.name == "--help" }.count == 1, "\(spec.name)")
        }
    }

    // MARK: - Help

    @Test(arguments: allSpecs.map(\.name))
    func helpFitsInEightyColumns(_ name: String) throws {
        let spec = try #require(Self.allSpecs.first { $0.name == name })
        let lines = spec.help.split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines { #expect(line.count <= 80, "\(name): \(line.count) columns: \(line)") }
        for line in spec.usage.split(separator: "\n") { #expect(line.count <= 80, "\(name) usage: \(line)") }
        #expect(lines.contains("  -h, --help              Show help information."))
        #expect(spec.help.hasPrefix("OVERVIEW: \(spec.abstract.prefix(20))"))
        #expect(spec.help.contains("\n\nUSAGE: edge-dev \(name)"))
        #expect(spec.help.contains("\nOPTIONS:\n"))
        #expect(spec.help.hasSuffix("\n") && !spec.help.hasSuffix("\n\n"))
    }

    @Test func aLongLabelHasItsHelpOnTheNextLineAtColumn26() throws {
        let lines = ServeCommand.spec.help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let label = try #require(lines.firstIndex(of: "  --drain-timeout <seconds>"))
        let help = lines[label + 1]
        #expect(help.hasPrefix(String(repeating: " ", count: 26) + "How long an old version"))
        #expect(help.dropFirst(26).first != " ")
        let block = lines[(label + 1)...].prefix { $0.hasPrefix(String(repeating: " ", count: 26)) }
        #expect(block.joined().contains("(default: 30)"))
    }

    @Test func aShortLabelHasItsHelpOnTheSameLineAtColumn26() throws {
        let lines = ServeCommand.spec.help.split(separator: "\n").map(String.init)
        let port = try #require(lines.first { $0.hasPrefix("  --port <port>") })
        let help = "Port to listen on; 0 picks a free one. (default: 8080)"
        #expect(port == "  --port <port>" + String(repeating: " ", count: 11) + help)
        #expect(port.count == 80)
        #expect(Array(port)[26] == "P")
    }

    @Test func wrappedHelpContinuesAtColumn26() throws {
        let lines = ServeCommand.spec.help.split(separator: "\n").map(String.init)
        let crash = try #require(lines.firstIndex { $0.hasPrefix("  --no-crash-barrier") })
        #expect(lines[crash].count > 60)
        let next = lines[crash + 1]
        #expect(next.hasPrefix(String(repeating: " ", count: 26)) && next.dropFirst(26).first != " ")
        #expect(next.hasSuffix("handler ends the process (to measure the barrier)."))
    }

    @Test func defaultsAreShownOnce() {
        // A default may wrap onto the next line: read the help as one line of words.
        let help = ServeCommand.spec.help.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        #expect(ServeCommand.spec.help.ranges(of: "(default: 8080)").count == 1)
        #expect(help.ranges(of: "(default: 8080)").count == 1)
        #expect(help.ranges(of: "(default: 127.0.0.1)").count == 1)
        #expect(help.ranges(of: "(default: handlers)").count == 1)
        #expect(help.ranges(of: "(default: 16777216)").count == 1)
        #expect(help.ranges(of: "(default: 30)").count == 2)  // drain and handler timeouts
        #expect(help.ranges(of: "(default: 60)").count == 1)  // the build timeout
        #expect(help.ranges(of: "(default: 268435456)").count == 1)  // the buffered-bodies budget
        #expect(help.ranges(of: "(default: 127.0.0.1:9090)").count == 1)  // the ops listener
        #expect(help.ranges(of: "(default: edge-data beside the bundle)").count == 1)
        #expect(help.ranges(of: "(default:").count == 14)  // flags show none
        #expect(NewCommand.spec.help.contains("(default: /<name>)"))
    }

    @Test func usageListsEveryOptionButHelpAndWraps() {
        let usage = ServeCommand.spec.usage
        #expect(usage.hasPrefix("USAGE: edge-dev serve [--handlers <dir>] [--host <host>] [--port <port>]\n"))
        #expect(!usage.contains("--help"))
        let lines = usage.split(separator: "\n")
        #expect(lines.count > 1)
        #expect(lines[1].hasPrefix("         [--release] [--build-timeout <seconds>] [--drain-timeout <seconds>]"))
        for line in lines.dropFirst() { #expect(line.hasPrefix("         [")) }
        for option in ServeCommand.spec.options.dropLast() { #expect(usage.contains("[\(option.name)")) }
        #expect(NewCommand.spec.usage.hasPrefix("USAGE: edge-dev new <name> [--handlers <dir>]"))
    }

    @Test func argumentsHaveTheirOwnSection() {
        let help = NewCommand.spec.help
        let argument = "  <name>" + String(repeating: " ", count: 18) + "The endpoint id: letters, digits, '-' and '_'."
        #expect(help.contains("\nARGUMENTS:\n\(argument)\n"))
        #expect(!ServeCommand.spec.help.contains("ARGUMENTS:"))
    }

    @Test func helpOfACustomSpecWrapsLongWordsAndText() throws {
        let long = String(repeating: "w", count: 100)
        let spec = CommandSpec(
            name: "demo", abstract: "Demonstrates \(long) wrapping.",
            arguments: [Argument("input", help: String(repeating: "word ", count: 40))],
            options: [
                Option<Int>("--count", "N", help: "How many.", default: 3, range: 1...9),
                Option<String>(
                    "--mode", "MODE", help: "A mode.", default: "fast", shown: nil, expected: "fast or slow",
                    parse: { ["fast", "slow"].contains($0) ? $0 : nil }),
                Flag("--dry-run", help: "Do nothing."),
            ])
        let lines = spec.help.split(separator: "\n").map(String.init)
        // A word longer than the line stands alone; everything else fits.
        #expect(lines.contains("  " + long))
        for line in lines where !line.contains(long) { #expect(line.count <= CommandSpec.helpWidth, "\(line)") }
        let argument = try #require(lines.firstIndex { $0.hasPrefix("  <input>") })
        #expect(lines[argument + 1].hasPrefix(String(repeating: " ", count: 26) + "word"))
        #expect(spec.help.contains("  --count <n>             How many. (default: 3)\n"))
        #expect(spec.help.contains("  --mode <mode>           A mode.\n"))
        #expect(spec.help.contains("  --dry-run               Do nothing.\n"))

        #expect(
            Self.usageError(["x", "--count", "10"], spec: spec)?.message
                == "Invalid value '10' for '--count': expected a whole number from 1 to 9")
        #expect(
            Self.usageError(["x", "--mode", "medium"], spec: spec)?.message
                == "Invalid value 'medium' for '--mode': expected fast or slow")
        let parsed = try ParsedArguments(["x", "--mode=slow", "--dry-run"], spec: spec)
        #expect(parsed[Flag("--dry-run", help: "")])
        #expect(parsed.positionals == ["x"])
    }

    @Test func theOverviewListsEveryCommand() {
        let text = Overview.text(Self.allSpecs)
        for spec in Self.allSpecs {
            #expect(text.contains("\n  \(spec.name)" + String(repeating: " ", count: 24 - spec.name.count)))
        }
        #expect(text.contains("USAGE: edge-dev <subcommand>"))
        #expect(text.hasSuffix("See 'edge-dev <subcommand> --help' for detailed help.\n"))
    }
}
