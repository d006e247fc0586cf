extension CommandSpec {
    /// Help lines are wrapped to this many columns.
    public static let helpWidth = 80
    /// Where option and argument help starts; a longer label puts its help on the next line.
    static let helpColumn = 26

    public var usage: String {
        var parts = ["edge-dev", name] + arguments.map(\.shown)
        for option in options where option.name != Flag.help.name {
            parts.append(option.valueName.map { "[\(option.name) <\($0.lowercased())>]" } ?? "[\(option.name)]")
        }
        return Self.wrap(parts, width: Self.helpWidth, firstPrefix: "USAGE: ", prefix: "         ")
    }

    public var help: String {
        var text = Self.wrap(
            abstract.split(separator: " ").map(String.init), width: Self.helpWidth,
            firstPrefix: "OVERVIEW: ", prefix: "  ")
        text += "\n\n\(usage)\n"
        if !arguments.isEmpty {
            text += "\nARGUMENTS:\n"
            for argument in arguments { text += Self.entry(argument.shown, argument.help) }
        }
        text += "\nOPTIONS:\n"
        for option in options {
            var label = option.valueName.map { "\(option.name) <\($0.lowercased())>" } ?? option.name
            if option.name == Flag.help.name { label = "-h, " + label }
            var help = option.help
            if let shown = option.defaultText { help += " (default: \(shown))" }
            text += Self.entry(label, help)
        }
        return text
    }

    /// `  label   help...` with the help wrapped at `helpColumn`; a label too long for the column
    /// gets its help on the next line.
    static func entry(_ label: String, _ help: String) -> String {
        let indent = String(repeating: " ", count: helpColumn)
        let words = help.split(separator: " ").map(String.init)
        let labelled = "  " + label
        if labelled.count + 1 < helpColumn {
            let first = labelled + String(repeating: " ", count: helpColumn - labelled.count)
            return wrap(words, width: helpWidth, firstPrefix: first, prefix: indent) + "\n"
        }
        return labelled + "\n" + wrap(words, width: helpWidth, firstPrefix: indent, prefix: indent) + "\n"
    }

    /// `words` joined by spaces in lines of at most `width` columns (a longer word stands alone).
    static func wrap(_ words: [String], width: Int, firstPrefix: String, prefix: String) -> String {
        var lines: [String] = []
        var line = firstPrefix
        var lineHasWord = false
        for word in words {
            if lineHasWord && line.count + 1 + word.count > width {
                lines.append(line)
                line = prefix
                lineHasWord = false
            }
            line += (lineHasWord ? " " : "") + word
            lineHasWord = true
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
