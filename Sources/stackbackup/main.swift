import StackBackupKit
print(StackBackupVersion.current)
