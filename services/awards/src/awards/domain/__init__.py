"""Pure rules of the awards service: rounds, eligibility, notice, experts, scoring and
the application's state machine. No I/O and no framework imports: the workflow runs them too."""
