; Inno Setup script for the Windows installer: Start-menu and desktop shortcuts, .glb/.gltf
; opening in the app, and an uninstaller. packaging/build_windows.ps1 passes the version and
; runs it (iscc) after PyInstaller has made dist\aiml3d-desktop\, and signs through it.
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "AIML 3D Desktop"
#define AppExe "aiml3d-desktop.exe"

[Setup]
AppId={{6C2E1B7A-4E0B-4C71-9C55-3D1D0E2A8F31}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=AIML 3D Desktop developers
DefaultDirName={autopf}\AIML 3D Desktop
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
WizardStyle=modern
OutputDir=..\..\dist
OutputBaseFilename=aiml3d-desktop-{#AppVersion}-windows-x64-setup
SetupIconFile=..\build\icons\aiml3d.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2
SolidCompression=yes
; The bundle is x64 (PyInstaller builds for the Python it runs on): refuse 32-bit Windows.
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
ChangesAssociations=yes
PrivilegesRequiredOverridesAllowed=dialog
#ifdef Sign
; build_windows.ps1 defines the sign tool "aiml3d" (signtool with the certificate given); the
; installer, its temporary copies and the uninstaller are all signed with it.
SignTool=aiml3d
SignedUninstaller=yes
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "associate"; Description: "Open .glb and .gltf files with {#AppName}"; GroupDescription: "File types:"

[Files]
Source: "..\..\dist\aiml3d-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
Root: HKA; Subkey: "Software\Classes\.glb\OpenWithProgids"; ValueType: string; ValueName: "AIML3D.Model"; ValueData: ""; Flags: uninsdeletevalue; Tasks: associate
Root: HKA; Subkey: "Software\Classes\.gltf\OpenWithProgids"; ValueType: string; ValueName: "AIML3D.Model"; ValueData: ""; Flags: uninsdeletevalue; Tasks: associate
Root: HKA; Subkey: "Software\Classes\AIML3D.Model"; ValueType: string; ValueName: ""; ValueData: "3D model"; Flags: uninsdeletekey; Tasks: associate
Root: HKA; Subkey: "Software\Classes\AIML3D.Model\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"; Tasks: associate
Root: HKA; Subkey: "Software\Classes\AIML3D.Model\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Tasks: associate

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
