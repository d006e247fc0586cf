import EdgeSystem

extension HandlerCompiler {
    /// How many frontend processes one endpoint's build runs at once: one per core, at most 4
    /// (a fifth job re-parses every file once more for a smaller share of the type-checking).
    static func frontendJobs(cores: Int) -> Int { max(1, min(cores, 4)) }

    /// The primaries of each frontend job: `sources` dealt out by size, largest first, to the
    /// least-loaded job, then `glue` to the lightest; one job per source file at most, and one
    /// job when the endpoint has a single file (a second job over `hello` and its glue only
    /// loads the modules again: 73 against 75 ms) or other builds are running (their jobs would
    /// compete for the cores: at start-up every endpoint builds at once). todos' two files: 190
    /// ms in one job, 155 in two.
    static func frontendJobPlan(_ sources: [String], glue: String?, jobs: Int) -> [[String]] {
        let count = max(1, min(jobs, sources.count))
        guard count > 1 else { return [sources + (glue.map { [$0] } ?? [])] }
        let sized = sources.map { ($0, FilePath.modification($0)?.size ?? 0) }.sorted { $0.1 > $1.1 }
        var plan = [[String]](repeating: [], count: count)
        var load = [Int](repeating: 0, count: count)
        for (file, size) in sized + (glue.map { [($0, 0)] } ?? []) {
            let lightest = load.indices.min { load[$0] < load[$1] }!
            plan[lightest].append(file)
            load[lightest] += Int(size) + 1
        }
        return plan
    }
}
