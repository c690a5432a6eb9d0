"""TF1 graph runtime: Graph, Operation, Tensor, Session, variables, NumPy kernels."""
