"""The HTTP facade: a Litestar app whose every route calls one `wallet.*` function.

`app.create_app()` wires it: `settings` from the environment, the pool of
`database` opened in the lifespan, the handlers of `routes/`, the problem
documents of `problems`, the JSON `shapes`, `paging` of list routes, the
OpenAPI document (`openapi`, with `examples`), and the `access_log`.
"""
