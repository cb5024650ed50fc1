"""What many operators and machines share about one environment: the deployment lock (a blob lease) and the
audit trail (an append-blob ledger and the runs' artifacts), in one Blob Storage container.

Everything here works on an `azure.storage.blob.ContainerClient` handed out by the environment's
`AuditStorage` port (Azure Storage on Azure, Azurite on the sandbox), so it is the same code on both
targets. The Azure SDK is imported inside functions only: `import apexops.shared` stays light.
"""

from __future__ import annotations
