# Build the Windows app: the PyInstaller folder dist\aiml3d-desktop\ (aiml3d-desktop.exe,
# aiml3d.exe), then the installer dist\aiml3d-desktop-VERSION-windows-setup.exe with Inno
# Setup's iscc where it is installed (https://jrsoftware.org/isinfo.php).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
$venv = "packaging\build\venv"
if (-not (Test-Path "$venv\Scripts\python.exe")) { py -3 -m venv $venv }
& "$venv\Scripts\python.exe" -m pip install -q --upgrade pip
& "$venv\Scripts\python.exe" -m pip install -q -e ".[build]"
$version = & "$venv\Scripts\python.exe" -c "import aiml3d_desktop; print(aiml3d_desktop.__version__)"
& "$venv\Scripts\python.exe" packaging\make_icons.py packaging\build\icons
Copy-Item packaging\build\icons\aiml3d.ico packaging\build\aiml3d.ico
& "$venv\Scripts\pyinstaller.exe" --noconfirm --clean --log-level WARN --distpath dist `
  --workpath packaging\build\work packaging\aiml3d.spec
$iscc = Get-Command iscc -ErrorAction SilentlyContinue
if (-not $iscc) { $iscc = Get-Item "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" -ErrorAction SilentlyContinue }
if ($iscc) {
  & $iscc "/DAppVersion=$version" packaging\windows\aiml3d.iss
  Write-Host "built dist\aiml3d-desktop-$version-windows-setup.exe"
} else {
  Write-Host "Inno Setup (iscc) not found: built dist\aiml3d-desktop\ only"
}
