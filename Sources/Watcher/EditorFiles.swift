/// Which file names in a watched folder are the user's, and which are an editor's scaffolding.
public enum EditorFiles {
    /// True for files edit-to-live should react to: Swift sources that are not editor temporaries.
    public static func isSource(_ name: String) -> Bool {
        name.hasSuffix(".swift") && !isTemporary(name)
    }

    /// Editor temporaries and swap files: vim (`.x.swp`, `x~`, `4913`), JetBrains safe write
    /// (`x___jb_tmp___`, `x___jb_old___`), Emacs (`.#x`, `#x#`), and every hidden file.
    public static func isTemporary(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix("~") || name == "4913" || name.hasSuffix("___jb_tmp___")
            || name.hasSuffix("___jb_old___") || (name.hasPrefix("#") && name.hasSuffix("#"))
            || name.hasSuffix(".swp") || name.hasSuffix(".swx") || name.hasSuffix(".tmp")
    }
}
