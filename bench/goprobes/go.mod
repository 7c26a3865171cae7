module tracetape.bench/goprobes

go 1.19
