/// A command's arguments, flags and options, in the spirit of swift-argument-parser: each option
/// carries its type, its default (written once, here) and its help; parsing checks every value.
public struct CommandSpec: Sendable {
    public let name: String
    public let abstract: String
    public let arguments: [Argument]
    /// Options and flags, in the order help lists them (`-h, --help` last).
    public let options: [OptionInfo]

    public init(name: String, abstract: String, arguments: [Argument] = [], options: [any OptionDeclaration]) {
        self.name = name
        self.abstract = abstract
        self.arguments = arguments
        self.options = options.map(\.info) + [Flag.help.info]
    }

    /// The option named `name` (`--port`), or the help flag for `-h`.
    func option(named name: String) -> OptionInfo? {
        name == "-h" ? Flag.help.info : options.first { $0.name == name }
    }
}

/// A positional argument.
public struct Argument: Sendable {
    public let name: String
    public let help: String
    /// May be left out (only at the end).
    public let optional: Bool

    public init(_ name: String, help: String, optional: Bool = false) {
        self.name = name
        self.help = help
        self.optional = optional
    }

    /// `<name>`, or `[<name>]` when optional.
    var shown: String { optional ? "[<\(name)>]" : "<\(name)>" }
}

/// What help and the parser need of any option or flag, whatever its value type.
public struct OptionInfo: Sendable {
    public let name: String
    /// `DIR`; nil for a flag.
    public let valueName: String?
    public let help: String
    /// The default as help shows it; nil when there is none to show.
    public let defaultText: String?
    /// A problem with `raw` as a value of this option ("expected 0 to 65535"), or nil.
    let check: @Sendable (String) -> String?
}

/// An option or a flag that a `CommandSpec` can list.
public protocol OptionDeclaration: Sendable {
    var info: OptionInfo { get }
}

/// A flag: present or not.
public struct Flag: OptionDeclaration {
    public let info: OptionInfo

    public init(_ name: String, help: String) {
        info = OptionInfo(name: name, valueName: nil, help: help, defaultText: nil, check: { _ in nil })
    }

    public var name: String { info.name }

    /// Every command has it, as `-h, --help`.
    public static let help = Flag("--help", help: "Show help information.")
}

/// An option with a value of type `Value`, parsed and checked once, with its default.
public struct Option<Value: Sendable>: OptionDeclaration {
    public let info: OptionInfo
    public let defaultValue: Value
    let parse: @Sendable (String) -> Value?

    /// `expected` completes "expected ..." in the error for a value `parse` rejects.
    public init(
        _ name: String, _ valueName: String, help: String, default defaultValue: Value, shown defaultText: String?,
        expected: String, parse: @escaping @Sendable (String) -> Value?
    ) {
        self.defaultValue = defaultValue
        self.parse = parse
        info = OptionInfo(
            name: name, valueName: valueName, help: help, defaultText: defaultText,
            check: { raw in parse(raw) == nil ? "expected \(expected)" : nil })
    }

    public var name: String { info.name }
}

extension Option where Value == String {
    /// Any text.
    public init(_ name: String, _ valueName: String, help: String, default defaultValue: String) {
        self.init(
            name, valueName, help: help, default: defaultValue, shown: defaultValue, expected: "a value",
            parse: { $0 })
    }
}

extension Option where Value == String? {
    /// Any text, absent by default; `shown` describes the default in help (`/<name>`).
    public init(_ name: String, _ valueName: String, help: String, shown: String? = nil) {
        self.init(name, valueName, help: help, default: nil, shown: shown, expected: "a value", parse: { $0 })
    }
}

extension Option where Value == Int {
    /// A whole number in `range`.
    public init(_ name: String, _ valueName: String, help: String, default defaultValue: Int, range: ClosedRange<Int>) {
        self.init(
            name, valueName, help: help, default: defaultValue, shown: String(defaultValue),
            expected: "a whole number from \(range.lowerBound) to \(range.upperBound)",
            parse: { Int($0).flatMap { range.contains($0) ? $0 : nil } })
    }
}

extension Option where Value == Duration {
    /// A non-negative number of seconds, fractions allowed (`0.5`).
    public init(_ name: String, help: String, defaultSeconds: Int) {
        self.init(
            name, "SECONDS", help: help, default: .seconds(defaultSeconds), shown: String(defaultSeconds),
            expected: "a non-negative number of seconds",
            parse: { raw in
                guard let seconds = Double(raw), seconds >= 0,
                    let milliseconds = Int(exactly: (seconds * 1000).rounded())
                else { return nil }
                return .milliseconds(milliseconds)
            })
    }
}
