"""Networks and backends: the scratch UNets, the DeepFloyd IF backend and the scratch backend."""
