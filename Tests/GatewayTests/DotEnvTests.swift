import Testing

@testable import Gateway

@Suite struct DotEnvTests {
    @Test func theDotenvConventions() throws {
        let values = try DotEnv.parse(
            """
            # a comment
            PLAIN=value
              INDENTED = spaced value   # and a comment
            export EXPORTED=yes
            SINGLE='literal \\n # not a comment'
            DOUBLE="line one\\nline two \\"quoted\\" \\\\ done"
            EMPTY=
            HASH=a#b
            WINDOWS=crlf\r

            PLAIN=later wins
            """, file: ".env")
        #expect(values["PLAIN"] == "later wins")
        #expect(values["INDENTED"] == "spaced value")
        #expect(values["EXPORTED"] == "yes")
        #expect(values["SINGLE"] == "literal \\n # not a comment")
        #expect(values["DOUBLE"] == "line one\nline two \"quoted\" \\ done")
        #expect(values["EMPTY"] == "")
        #expect(values["HASH"] == "a#b")
        #expect(values["WINDOWS"] == "crlf")
        #expect(values.count == 8)
    }

    @Test(arguments: [
        ("OK=1\njust words\n", 2, "expected KEY=value"),
        ("=value\n", 1, "a line with '=' but no key"),
        ("1KEY=x\n", 1, "not a valid key before '=' (letters, digits and '_', not starting with a digit)"),
        (
            "postgres://admin:hunter2@db/app?sslmode=require\n", 1,
            "not a valid key before '=' (letters, digits and '_', not starting with a digit)"
        ),
        ("OK=1\n\nQ=\"open\n", 3, "unterminated \"-quoted value"),
        ("Q='open\n", 1, "unterminated '-quoted value"),
        ("Q=\"done\" trailing\n", 1, "unexpected text after the closing \""),
    ])
    func aMalformedLineNamesItsLine(_ text: String, _ line: Int, _ message: String) {
        #expect(throws: DotEnv.Failure(file: ".env", line: line, message: message)) {
            try DotEnv.parse(text, file: ".env")
        }
    }

    @Test func changesNameKeysNotValues() {
        let old = ProjectConfiguration(values: ["A": "1", "B": "2", "C": "3"], files: [".env"])
        let new = ProjectConfiguration(values: ["A": "1", "B": "20", "D": "4"], files: [".env"])
        let changes = old.changes(to: new)
        #expect(changes.added == ["D"])
        #expect(changes.changed == ["B"])
        #expect(changes.removed == ["C"])
        // Endpoint defaults sit under the files.
        let env = new.environment(defaults: ["A": "default", "E": "only a default"])
        #expect(env["A"] == "1")
        #expect(env["E"] == "only a default")
        #expect(env["Z"] == nil)
    }

    @Test func endpointManifestsCarryEnvDefaults() throws {
        let manifest = try EndpointManifest.parse(
            #"{"method": "GET", "path": "/x", "env": {"GREETING": "hi"}}"#, file: "endpoint.json")
        #expect(manifest.env == ["GREETING": "hi"])
        #expect(throws: ManifestError.self) {
            try EndpointManifest.parse(#"{"path": "/x", "env": {"N": 1}}"#, file: "endpoint.json")
        }
        #expect(throws: ManifestError.self) {
            try EndpointManifest.parse(#"{"path": "/x", "env": ["A"]}"#, file: "endpoint.json")
        }
    }
}
