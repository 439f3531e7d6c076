"""Training machinery shared by every model: the executor that runs a graph of layer calls
forward and backward (``executor``) and the rewrite rules that fuse calls into one engine call
(``fusion``)."""
