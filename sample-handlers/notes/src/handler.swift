import EdgeSDK

/// Notes in SQLite (`ctx.database("main")`, schema in `handlers/_migrations/main/`):
///   GET /notes               every note
///   POST /notes              {"title": "..."} creates one (201)
///   GET /notes/{id}          one note, or 404
///   PUT /notes/{id}          {"title": "...", "done": true} changes it
///   DELETE /notes/{id}       204, or 404
func handle(_ ctx: Context, _ req: Request) throws -> Response {
    let db = ctx.database("main")
    guard req.param("id") != nil else {
        switch req.method {
        case "GET":
            return .ok(try db.query("SELECT id, title, done FROM notes ORDER BY id", as: Note.self))
        case "POST":
            let input = try req.json(NoteInput.self)
            let title = try validTitle(input.title)
            let note = try db.transaction { tx -> Note? in
                try tx.execute("INSERT INTO notes (title, done) VALUES (?, ?)", [title, input.done ?? false])
                return try tx.queryOne(
                    "SELECT id, title, done FROM notes WHERE id = last_insert_rowid()", as: Note.self)
            }
            guard let note else { throw HandlerError.internal("the new note was not found") }
            ctx.log("created note \(note.id)")
            return .created(note, location: "/notes/\(note.id)")
        default:
            throw HandlerError.methodNotAllowed("\(req.method) /notes is not supported")
        }
    }
    let id = try req.param("id", as: Int.self)
    switch req.method {
    case "GET":
        guard let note = try db.queryOne("SELECT id, title, done FROM notes WHERE id = ?", [id], as: Note.self) else {
            throw HandlerError.notFound("no note with id \(id)")
        }
        return .ok(note)
    case "PUT":
        let input = try req.json(NoteInput.self)
        let title = try validTitle(input.title)
        let changed = try db.execute(
            "UPDATE notes SET title = ?, done = COALESCE(?, done) WHERE id = ?", [title, input.done, id])
        guard changed == 1 else { throw HandlerError.notFound("no note with id \(id)") }
        return .ok(try db.queryOne("SELECT id, title, done FROM notes WHERE id = ?", [id], as: Note.self))
    case "DELETE":
        guard try db.execute("DELETE FROM notes WHERE id = ?", [id]) == 1 else {
            throw HandlerError.notFound("no note with id \(id)")
        }
        return .noContent
    default:
        throw HandlerError.methodNotAllowed("\(req.method) /notes/\(id) is not supported")
    }
}

struct Note: Codable {
    var id: Int
    var title: String
    var done: Bool
}

struct NoteInput: Decodable {
    var title: String?
    var done: Bool?
}

/// A title of 1 to 200 characters, or a 400 saying what is wrong.
func validTitle(_ title: String?) throws -> String {
    guard let title, !title.allSatisfy(\.isWhitespace) else {
        throw HandlerError.validation("field 'title' is required")
    }
    guard title.count <= 200 else { throw HandlerError.validation("field 'title' is at most 200 characters") }
    return title
}
