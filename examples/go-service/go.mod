module tracetape.example/go-service

go 1.19
