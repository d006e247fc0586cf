import EdgeSDK

/// A small JSON API:
///   GET /todos            lists the todos
///   POST /todos           {"title": "..."} creates one (201)
///   GET /todos/{id}       one todo, or 404
///   DELETE /todos/{id}    204, or 404
func handle(_ ctx: Context, _ req: Request) async throws -> Response {
    guard req.param("id") != nil else {
        switch req.method {
        case "GET":
            return .ok(store.all())
        case "POST":
            let input = try req.json(NewTodo.self)
            let title = input.title.trimmingSpaces()
            guard !title.isEmpty else { throw HandlerError.validation("field 'title' must not be empty") }
            let todo = store.add(title: title, done: input.done ?? false)
            ctx.log("created todo \(todo.id)")
            return .created(todo, location: "/todos/\(todo.id)")
        default:
            throw HandlerError.methodNotAllowed("\(req.method) /todos is not supported")
        }
    }
    let id = try req.param("id", as: Int.self)
    switch req.method {
    case "GET":
        guard let todo = store.get(id) else { throw HandlerError.notFound("no todo with id \(id)") }
        return .ok(todo)
    case "DELETE":
        guard store.remove(id) else { throw HandlerError.notFound("no todo with id \(id)") }
        return .noContent
    default:
        throw HandlerError.methodNotAllowed("\(req.method) /todos/\(id) is not supported")
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first?.isWhitespace == true { scalars.removeFirst() }
        while scalars.last?.isWhitespace == true { scalars.removeLast() }
        return String(scalars)
    }
}
