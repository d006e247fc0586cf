struct Todo: Codable, Sendable {
    var id: Int
    var title: String
    var done: Bool
}

/// What a client sends to create a todo.
struct NewTodo: Decodable {
    var title: String
    var done: Bool?
}

/// Every todo, kept in `ctx.state` so the list survives saves of this handler.
struct TodoList: Codable {
    var nextID = 1
    var todos: [Todo] = []
}
