/// Text for HTML and XML content and quoted attribute values: `<`, `>`, `&`, `"` and `'` as
/// character references. By Unicode scalar, not by Character: a `"` followed by a combining
/// mark is one Character that is not `"`, and would end an attribute value unescaped.
public enum Markup {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
