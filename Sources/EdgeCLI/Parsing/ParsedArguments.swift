/// A command line checked against a `CommandSpec`: read values with `arguments[option]`.
public struct ParsedArguments: Sendable {
    public let spec: CommandSpec
    public private(set) var positionals: [String] = []
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    /// Parses `arguments` (without the command name). `--name=value` and `--name value` both work;
    /// every value is checked here, so reading one later cannot fail.
    public init(_ arguments: [String], spec: CommandSpec) throws(UsageError) {
        self.spec = spec
        // `-h` or `--help` anywhere wins over everything else on the line, as in
        // swift-argument-parser: asking for help never gets a usage error instead.
        if arguments.contains(where: { $0 == "-h" || $0 == Flag.help.name }) {
            flags.insert(Flag.help.name)
            return
        }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-") && argument != "-" else {
                positionals.append(argument)
                continue
            }
            let (name, inlineValue) = argument.splitOnce("=")
            guard let option = spec.option(named: name) else {
                throw UsageError("Unknown option '\(name)'", spec: spec)
            }
            guard let valueName = option.valueName else {
                guard inlineValue == nil else { throw UsageError("Option '\(name)' takes no value", spec: spec) }
                flags.insert(option.name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                    throw UsageError("Missing value for '\(name) <\(valueName.lowercased())>'", spec: spec)
                }
                value = arguments[index]
                index += 1
            }
            if let problem = option.check(value) {
                throw UsageError("Invalid value '\(value)' for '\(name)': \(problem)", spec: spec)
            }
            values[name] = value
        }
        if helpRequested { return }
        if positionals.count > spec.arguments.count {
            throw UsageError("Unexpected argument '\(positionals[spec.arguments.count])'", spec: spec)
        }
        if positionals.count < spec.arguments.filter({ !$0.optional }).count {
            throw UsageError("Missing expected argument '<\(spec.arguments[positionals.count].name)>'", spec: spec)
        }
    }

    /// `-h` or `--help` was given: show help instead of running.
    public var helpRequested: Bool { flags.contains(Flag.help.name) }

    public subscript(_ flag: Flag) -> Bool { flags.contains(flag.name) }

    /// The option's value, or its default when it was not given.
    public subscript<Value>(_ option: Option<Value>) -> Value {
        values[option.name].flatMap(option.parse) ?? option.defaultValue
    }

    /// Whether the option was given at all.
    public func has<Value>(_ option: Option<Value>) -> Bool { values[option.name] != nil }
}

/// A command line that does not fit the command: said in one line, with the usage (exit 2).
public struct UsageError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public let usage: String

    public init(_ message: String, spec: CommandSpec) {
        self.message = message
        self.usage = spec.usage
    }

    public var description: String { message }
}

extension String {
    func splitOnce(_ separator: Character) -> (String, String?) {
        guard let index = firstIndex(of: separator) else { return (self, nil) }
        return (String(self[..<index]), String(self[self.index(after: index)...]))
    }
}

extension String {
    /// The string followed by spaces up to `width` columns, and always at least one.
    func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
