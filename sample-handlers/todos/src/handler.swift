import EdgeSDK

/// A small JSON API, its data in `ctx.state` (kept by edge-dev across saves):
///   GET /todos            lists the todos
///   POST /todos           {"title": "..."} creates one (201)
///   GET /todos/{id}       one todo, or 404
///   DELETE /todos/{id}    204, or 404
func handle(_ ctx: Context, _ req: Request) async throws -> Response {
    guard req.param("id") != nil else {
        switch req.method {
        case "GET":
            return .ok(try ctx.state.get("todos", as: TodoList.self)?.todos ?? [])
        case "POST":
            let input = try req.json(NewTodo.self)
            let title = input.title.trimmingSpaces()
            guard !title.isEmpty else { throw HandlerError.validation("field 'title' must not be empty") }
            let todo = try ctx.state.update("todos", default: TodoList()) { list in
                let todo = Todo(id: list.nextID, title: title, done: input.done ?? false)
                list.todos.append(todo)
                list.nextID += 1
                return todo
            }
            ctx.log("created todo \(todo.id)")
            return .created(todo, location: "/todos/\(todo.id)")
        default:
            throw HandlerError.methodNotAllowed("\(req.method) /todos is not supported")
        }
    }
    let id = try req.param("id", as: Int.self)
    switch req.method {
    case "GET":
        guard let todo = try ctx.state.get("todos", as: TodoList.self)?.todos.first(where: { $0.id == id }) else {
            throw HandlerError.notFound("no todo with id \(id)")
        }
        return .ok(todo)
    case "DELETE":
        let removed = try ctx.state.update("todos", default: TodoList()) { list in
            let before = list.todos.count
            list.todos.removeAll { $0.id == id }
            return list.todos.count < before
        }
        guard removed else { throw HandlerError.notFound("no todo with id \(id)") }
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
