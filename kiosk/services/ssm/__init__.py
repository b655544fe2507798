"""衛生局 · Serviços de Saúde · Health Bureau."""
