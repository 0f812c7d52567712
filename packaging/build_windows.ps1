# Build the Windows app: the PyInstaller folder dist\aiml3d-desktop\ (aiml3d-desktop.exe,
# aiml3d.exe), then the installer dist\aiml3d-desktop-VERSION-windows-x64-setup.exe with Inno
# Setup's iscc (https://jrsoftware.org/isinfo.php). Without iscc it stops after the folder;
# -RequireInstaller (the release workflow) installs Inno Setup with Chocolatey if it can, and
# fails if there is still no iscc.
#
# Signing, when a code-signing certificate is given: WINDOWS_SIGN_PFX (a .pfx file) or
# WINDOWS_SIGN_PFX_BASE64 (its bytes in base64, as a CI secret holds them), with
# WINDOWS_SIGN_PASSWORD; the two programs are signed before Inno Setup packs them, then the
# installer. WINDOWS_SIGN_TIMESTAMP_URL overrides the timestamp server.
#
# Python: $env:PYTHON, else the python on the PATH, else the py launcher's newest Python 3.
# On Python 3.11 the build takes constraints.txt's versions (the ones CI tests).
param([switch]$RequireInstaller)
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

# PowerShell does not stop when a program fails; every program run goes through this.
function Invoke-Checked([string]$Program, [string[]]$Arguments) {
  & $Program @Arguments
  if ($LASTEXITCODE -ne 0) { throw "$(Split-Path -Leaf $Program) failed (exit code $LASTEXITCODE)" }
}

function Find-Python {
  if ($env:PYTHON) { return $env:PYTHON }
  $onPath = Get-Command python -ErrorAction SilentlyContinue
  if ($onPath) { return $onPath.Source }
  return (& py -3 -c "import sys; print(sys.executable)")
}

function Find-SignTool {
  $onPath = Get-Command signtool -ErrorAction SilentlyContinue
  if ($onPath) { return $onPath.Source }
  $kits = Get-ChildItem "${env:ProgramFiles(x86)}\Windows Kits\10\bin\*\x64\signtool.exe" -ErrorAction SilentlyContinue |
    Sort-Object FullName -Descending | Select-Object -First 1
  if (-not $kits) { throw "signtool.exe not found: install the Windows SDK to sign" }
  return $kits.FullName
}

function Invoke-Sign([string[]]$Files) {
  if (-not $script:pfx) { return }
  $timestamp = if ($env:WINDOWS_SIGN_TIMESTAMP_URL) { $env:WINDOWS_SIGN_TIMESTAMP_URL } else { "http://timestamp.digicert.com" }
  Invoke-Checked (Find-SignTool) (@("sign", "/f", $script:pfx, "/p", $env:WINDOWS_SIGN_PASSWORD,
      "/fd", "SHA256", "/tr", $timestamp, "/td", "SHA256") + $Files)
  Write-Host "signed $($Files -join ', ')"
}

function Find-Iscc {
  $onPath = Get-Command iscc -ErrorAction SilentlyContinue
  if ($onPath) { return $onPath.Source }
  $default = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe"
  if (Test-Path $default) { return $default }
  return $null
}

$script:pfx = $env:WINDOWS_SIGN_PFX
$decoded = $null
if (-not $script:pfx -and $env:WINDOWS_SIGN_PFX_BASE64) {
  $decoded = Join-Path ([IO.Path]::GetTempPath()) "aiml3d-sign-$PID.pfx"
  [IO.File]::WriteAllBytes($decoded, [Convert]::FromBase64String($env:WINDOWS_SIGN_PFX_BASE64))
  $script:pfx = $decoded
}
if (-not $script:pfx) { Write-Host "No signing certificate given: the programs and the installer are unsigned" }

try {
  $venv = "packaging\build\venv"
  $python = "$venv\Scripts\python.exe"
  if (-not (Test-Path $python)) { Invoke-Checked (Find-Python) @("-m", "venv", $venv) }
  Invoke-Checked $python @("-m", "pip", "install", "-q", "--upgrade", "pip")
  $constraints = @()
  & $python -c "import sys; sys.exit(sys.version_info[:2] != (3, 11))"
  if ($LASTEXITCODE -eq 0) { $constraints = @("-c", "constraints.txt") }
  Invoke-Checked $python (@("-m", "pip", "install", "-q") + $constraints + @("-e", ".[build]"))
  $version = & $python -c "import aiml3d_desktop; print(aiml3d_desktop.__version__)"
  Invoke-Checked $python @("packaging\make_icons.py", "packaging\build\icons")
  Copy-Item packaging\build\icons\aiml3d.ico packaging\build\aiml3d.ico
  Invoke-Checked "$venv\Scripts\pyinstaller.exe" @("--noconfirm", "--clean", "--log-level", "WARN",
      "--distpath", "dist", "--workpath", "packaging\build\work", "packaging\aiml3d.spec")
  Invoke-Sign @("dist\aiml3d-desktop\aiml3d-desktop.exe", "dist\aiml3d-desktop\aiml3d.exe")

  $iscc = Find-Iscc
  if (-not $iscc -and $RequireInstaller -and (Get-Command choco -ErrorAction SilentlyContinue)) {
    Invoke-Checked choco @("install", "innosetup", "--no-progress", "-y")  # CI images may lack it
    $iscc = Find-Iscc
  }
  if ($iscc) {
    Invoke-Checked $iscc @("/Q", "/DAppVersion=$version", "packaging\windows\aiml3d.iss")
    $setup = "dist\aiml3d-desktop-$version-windows-x64-setup.exe"
    Invoke-Sign @($setup)
    Write-Host "built $setup"
  } elseif ($RequireInstaller) {
    throw "Inno Setup's iscc not found (install Inno Setup 6)"
  } else {
    Write-Host "Inno Setup (iscc) not found: built dist\aiml3d-desktop\ only"
  }
} finally {
  if ($decoded) { Remove-Item $decoded -Force -ErrorAction SilentlyContinue }
}
