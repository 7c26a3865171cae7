module tracetape/bench/go

go 1.19
