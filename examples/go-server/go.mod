module tracetape.example/go-server

go 1.19
