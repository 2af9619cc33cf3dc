"""listdigest: turn a mailing-list archive into a periodic digest.

Data flows one way: sources -> message -> model -> analysis -> report -> delivery.
Each stage is a subpackage and imports only from the stages before it.
"""

__version__ = "0.1.0"
