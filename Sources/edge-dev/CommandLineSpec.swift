import Gateway

/// A command's options and help text, in the spirit of swift-argument-parser: usage, arguments,
/// options with their defaults; a bad option gets a one-line error and the usage (exit 2).
struct CommandSpec: Sendable {
    struct Option: Sendable {
        /// `--handlers`
        let name: String
        /// `DIR`; nil for a flag.
        let valueName: String?
        let help: String
        let defaultValue: String?

        init(_ name: String, _ valueName: String? = nil, help: String, default defaultValue: String? = nil) {
            self.name = name
            self.valueName = valueName
            self.help = help
            self.defaultValue = defaultValue
        }
    }

    let name: String
    let abstract: String
    let arguments: [(name: String, help: String)]
    let options: [Option]

    init(name: String, abstract: String, arguments: [(name: String, help: String)] = [], options: [Option]) {
        self.name = name
        self.abstract = abstract
        self.arguments = arguments
        self.options = options + [Option("--help", help: "Show help information.")]
    }

    var usage: String {
        var parts = ["edge-dev", name]
        parts += arguments.map { "<\($0.name)>" }
        for option in options where option.name != "--help" {
            parts.append(option.valueName.map { "[\(option.name) <\($0.lowercased())>]" } ?? "[\(option.name)]")
        }
        return "USAGE: " + parts.joined(separator: " ")
    }

    var help: String {
        var text = "OVERVIEW: \(abstract)\n\n\(usage)\n"
        if !arguments.isEmpty {
            text += "\nARGUMENTS:\n"
            for argument in arguments {
                text += "  " + "<\(argument.name)>".padding(to: 26) + argument.help + "\n"
            }
        }
        text += "\nOPTIONS:\n"
        for option in options {
            let left = option.valueName.map { "\(option.name) <\($0.lowercased())>" } ?? option.name
            var help = option.help
            if let defaultValue = option.defaultValue { help += " (default: \(defaultValue))" }
            text += "  " + left.padding(to: 26) + help + "\n"
        }
        return text
    }

    /// Parses `arguments` (without the command name). `--name=value` and `--name value` both work.
    func parse(_ arguments: [String]) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" {
                parsed.flags.insert("--help")
                continue
            }
            guard argument.hasPrefix("-") && argument != "-" else {
                parsed.positionals.append(argument)
                continue
            }
            let (name, inlineValue) = argument.splitOnce("=")
            guard let option = options.first(where: { $0.name == name }) else {
                throw UsageError("Unknown option '\(name)'", usage: usage)
            }
            if option.valueName == nil {
                guard inlineValue == nil else {
                    throw UsageError("Option '\(name)' takes no value", usage: usage)
                }
                parsed.flags.insert(name)
            } else if let inlineValue {
                parsed.values[name] = inlineValue
            } else {
                guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                    throw UsageError("Missing value for '\(name) <\(option.valueName!.lowercased())>'", usage: usage)
                }
                parsed.values[name] = arguments[index]
                index += 1
            }
        }
        if !parsed.flags.contains("--help") && parsed.positionals.count > self.arguments.count {
            throw UsageError("Unexpected argument '\(parsed.positionals[self.arguments.count])'", usage: usage)
        }
        if !parsed.flags.contains("--help") && parsed.positionals.count < self.arguments.count {
            throw UsageError(
                "Missing expected argument '<\(self.arguments[parsed.positionals.count].name)>'", usage: usage)
        }
        return parsed
    }
}

struct ParsedArguments {
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []

    func value(_ name: String) -> String? { values[name] }
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// A numeric option, or a usage error naming it.
    func number(_ name: String, spec: CommandSpec) throws(UsageError) -> Double? {
        guard let raw = values[name] else { return nil }
        guard let value = Double(raw), value >= 0 else {
            throw UsageError("Invalid value '\(raw)' for '\(name)': expected a non-negative number", usage: spec.usage)
        }
        return value
    }
}

struct UsageError: Error {
    let message: String
    let usage: String

    init(_ message: String, usage: String) {
        self.message = message
        self.usage = usage
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }

    func splitOnce(_ separator: Character) -> (String, String?) {
        guard let index = firstIndex(of: separator) else { return (self, nil) }
        return (String(self[..<index]), String(self[self.index(after: index)...]))
    }
}

extension ParsedArguments {
    /// The project named by `--handlers` (default `handlers`), or nil after saying that its
    /// folder is missing.
    func existingProject() -> Project? {
        let project = Project(handlersDirectory: value("--handlers") ?? "handlers")
        guard FilePath.isDirectory(project.handlersDirectory) else {
            HostLog.err("error: no handlers folder at \(project.handlersDirectory)\n")
            return nil
        }
        return project
    }
}
