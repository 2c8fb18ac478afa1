; Windows installer hooks: the firewall rule that lets colleagues on the office network reach
; the chat this computer hosts, and find it over mDNS.
;
; The rule is for the program, not a port, so it follows a host port changed in the app. It
; covers the Private and Domain network profiles only: on a network Windows calls Public (a
; café's Wi-Fi) nobody should reach it, and the app's Connect screen says so when nothing is
; found. Changing the firewall needs an installer run for all users (elevated); a per-user
; install leaves it to Windows' own "allow access" prompt the first time Confab hosts.

!define CONFAB_FIREWALL_RULE "Confab"

!macro NSIS_HOOK_POSTINSTALL
  ; Replaced rather than duplicated on reinstall or update.
  nsExec::ExecToLog 'netsh advfirewall firewall delete rule name="${CONFAB_FIREWALL_RULE}"'
  Pop $0
  nsExec::ExecToLog 'netsh advfirewall firewall add rule name="${CONFAB_FIREWALL_RULE}" description="Colleagues on this network reach the Confab chat this computer hosts" dir=in action=allow program="$INSTDIR\${MAINBINARYNAME}.exe" enable=yes profile=private,domain'
  Pop $0
  ${If} $0 != 0
    DetailPrint "Confab: no firewall rule added (a per-user install may not change the firewall); Windows will ask the first time Confab hosts a chat."
  ${EndIf}
!macroend

!macro NSIS_HOOK_PREUNINSTALL
  nsExec::ExecToLog 'netsh advfirewall firewall delete rule name="${CONFAB_FIREWALL_RULE}"'
  Pop $0
!macroend
