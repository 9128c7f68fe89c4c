"""The bundled risk checklists. A changed checklist is a new file: old ones stay, so the
questions an earlier assessment asked can always be read again."""
