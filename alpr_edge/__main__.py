from alpr_edge.cli import main

raise SystemExit(main())
